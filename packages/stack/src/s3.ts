import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createS3Client, ensureBucket, type S3ClientConfig } from '@loglake/object-store';
import { runningPid, startDaemon, stopDaemon } from './daemon.ts';
import { ensureGoBinary } from './downloads.ts';
import type { StackPaths } from './paths.ts';
import { waitUntilReady } from './wait.ts';

/**
 * The local S3-compatible server: versitygw's POSIX gateway (see docs/local-stack.md for why
 * not S3Proxy). Credentials and port match docker-compose.yml's MinIO.
 */
export const S3_SERVER = {
  name: 's3',
  module: 'github.com/versity/versitygw/cmd/versitygw',
  version: 'v1.8.0',
  port: 9000,
  accessKeyId: 'loglake',
  secretAccessKey: 'loglake-secret',
  bucket: 'loglake',
} as const;

export function s3ClientConfig(): S3ClientConfig {
  return {
    endpoint: `http://127.0.0.1:${S3_SERVER.port}`,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: S3_SERVER.accessKeyId, secretAccessKey: S3_SERVER.secretAccessKey },
  };
}

interface S3Context {
  readonly paths: StackPaths;
  readonly timeoutMs: number;
  readonly log: (message: string) => void;
}

function dataDir(paths: StackPaths): string {
  return join(paths.data, 's3');
}

/** Starts the server if it is not running, waits until it answers, and creates the bucket. */
export async function startS3(ctx: S3Context): Promise<boolean> {
  const logFile = join(ctx.paths.logs, 's3.log');
  const dir = dataDir(ctx.paths);
  let pid = runningPid(ctx.paths.run, S3_SERVER.name, dir);
  const started = pid === null;
  if (pid === null) {
    const bin = await ensureGoBinary({
      name: 'versitygw',
      module: S3_SERVER.module,
      version: S3_SERVER.version,
      cacheDir: ctx.paths.cache,
      logFile: join(ctx.paths.logs, 'go-versitygw.log'),
    });
    mkdirSync(dir, { recursive: true });
    pid = startDaemon({
      name: S3_SERVER.name,
      command: bin,
      args: ['--port', `127.0.0.1:${S3_SERVER.port}`, 'posix', dir],
      env: {
        ...process.env,
        ROOT_ACCESS_KEY: S3_SERVER.accessKeyId,
        ROOT_SECRET_KEY: S3_SERVER.secretAccessKey,
      },
      logFile,
      runDir: ctx.paths.run,
      marker: dir,
    });
    ctx.log(
      `started s3 (versitygw ${S3_SERVER.version}, pid ${pid}) on 127.0.0.1:${S3_SERVER.port}; log ${logFile}`,
    );
  }
  const client = createS3Client(s3ClientConfig());
  try {
    await waitUntilReady(() => ensureBucket(client, S3_SERVER.bucket), {
      what: `S3 server (versitygw) on 127.0.0.1:${S3_SERVER.port} with bucket ${S3_SERVER.bucket}`,
      timeoutMs: ctx.timeoutMs,
      logFile,
      pid,
    });
  } finally {
    client.destroy();
  }
  return started;
}

export function stopS3(paths: StackPaths): Promise<boolean> {
  return stopDaemon(paths.run, S3_SERVER.name, dataDir(paths));
}

export function s3Running(paths: StackPaths): boolean {
  return runningPid(paths.run, S3_SERVER.name, dataDir(paths)) !== null;
}
