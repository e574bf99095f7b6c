import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createS3Client, ensureBucket } from '@loglake/object-store';
import { runningPid, startDaemon, stopDaemon } from './daemon.ts';
import { ensureMavenJars } from './downloads.ts';
import type { StackPaths } from './paths.ts';
import { S3_SERVER, s3ClientConfig } from './s3.ts';
import { waitUntilReady } from './wait.ts';

/**
 * The Apache Iceberg REST catalog fixture (`org.apache.iceberg.rest.RESTCatalogServer`, the server
 * of the `apache/iceberg-rest-fixture` image) from Maven Central jars: a JdbcCatalog on a SQLite
 * file under `.stack/data/iceberg`, tables on the stack's S3 server through S3FileIO (path style).
 * It takes no credentials (every request is accepted; `POST /v1/oauth/tokens` hands out tokens).
 */
export const ICEBERG_CATALOG = {
  name: 'iceberg',
  port: 8181,
  /** Where tables live unless a create request names a location. */
  bucket: 'loglake-iceberg',
  heapMb: 256,
} as const;

export interface IcebergCatalogInfo {
  /** The REST catalog's base URL (the client appends `/v1/...`). */
  readonly url: string;
  readonly warehouse: string;
}

export function icebergCatalogInfo(): IcebergCatalogInfo {
  return {
    url: `http://127.0.0.1:${ICEBERG_CATALOG.port}`,
    warehouse: `s3://${ICEBERG_CATALOG.bucket}/warehouse/`,
  };
}

interface IcebergContext {
  readonly paths: StackPaths;
  readonly timeoutMs: number;
  readonly log: (message: string) => void;
}

function dataDir(paths: StackPaths): string {
  return join(paths.data, 'iceberg');
}

/** The folder of the fixture's jars (Maven on first use; their SHA-256 sums are pinned). */
export function icebergJars(paths: StackPaths): Promise<string> {
  return ensureMavenJars({
    name: 'iceberg-rest',
    pom: join(paths.infra, 'iceberg', 'pom.xml'),
    sha256File: join(paths.infra, 'iceberg', 'jars.sha256'),
    cacheDir: paths.cache,
    logFile: join(paths.logs, 'maven-iceberg.log'),
  });
}

/** The fixture reads its catalog properties from `CATALOG_*` (`__` → `-`, `_` → `.`). */
function catalogEnv(paths: StackPaths): NodeJS.ProcessEnv {
  const s3 = s3ClientConfig();
  return {
    ...process.env,
    CATALOG_URI: `jdbc:sqlite:${join(dataDir(paths), 'catalog.db')}`,
    CATALOG_WAREHOUSE: icebergCatalogInfo().warehouse,
    CATALOG_IO__IMPL: 'org.apache.iceberg.aws.s3.S3FileIO',
    CATALOG_S3_ENDPOINT: s3.endpoint,
    CATALOG_S3_PATH__STYLE__ACCESS: 'true',
    CATALOG_REST_PORT: String(ICEBERG_CATALOG.port),
    AWS_REGION: s3.region,
    AWS_ACCESS_KEY_ID: S3_SERVER.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3_SERVER.secretAccessKey,
  };
}

/**
 * Starts the catalog if it is not running (the S3 server must be up: its bucket is created here)
 * and waits until `GET /v1/config` answers. Returns whether this call started it.
 */
export async function startIcebergCatalog(ctx: IcebergContext): Promise<boolean> {
  const logFile = join(ctx.paths.logs, 'iceberg.log');
  const dir = dataDir(ctx.paths);
  const s3 = createS3Client(s3ClientConfig());
  try {
    await ensureBucket(s3, ICEBERG_CATALOG.bucket);
  } finally {
    s3.destroy();
  }
  let pid = runningPid(ctx.paths.run, ICEBERG_CATALOG.name, dir);
  const started = pid === null;
  if (pid === null) {
    const jars = await icebergJars(ctx.paths);
    mkdirSync(dir, { recursive: true });
    pid = startDaemon({
      name: ICEBERG_CATALOG.name,
      command: 'java',
      args: [
        `-Xmx${ICEBERG_CATALOG.heapMb}m`,
        '-XX:+UseSerialGC',
        '-Djava.awt.headless=true',
        // Recognises our process by its command line (see runningPid).
        `-Dloglake.stack.data=${dir}`,
        '-cp',
        `${jars}/*`,
        'org.apache.iceberg.rest.RESTCatalogServer',
      ],
      env: catalogEnv(ctx.paths),
      cwd: dir,
      logFile,
      runDir: ctx.paths.run,
      marker: dir,
    });
    ctx.log(
      `started iceberg REST catalog (pid ${pid}) on 127.0.0.1:${ICEBERG_CATALOG.port}; log ${logFile}`,
    );
  }
  const { url } = icebergCatalogInfo();
  await waitUntilReady(
    async () => {
      const res = await fetch(`${url}/v1/config`, { signal: AbortSignal.timeout(2000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
    },
    { what: `Iceberg REST catalog on ${url}`, timeoutMs: ctx.timeoutMs, logFile, pid },
  );
  return started;
}

export function stopIcebergCatalog(paths: StackPaths): Promise<boolean> {
  return stopDaemon(paths.run, ICEBERG_CATALOG.name, dataDir(paths));
}

export function icebergCatalogRunning(paths: StackPaths): boolean {
  return runningPid(paths.run, ICEBERG_CATALOG.name, dataDir(paths)) !== null;
}
