import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { kafkaClientEnv } from '@loglake/kafka';
import { secureClientConfig } from './kafka.ts';
import { launchEnv, serviceLaunch, type ServiceName } from './service-launch.ts';
import type { StackInfo } from './stack.ts';

export interface RunningService {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
}

/** Starts a service's `src/main.ts` as its Dockerfile does, its output prefixed with its name on our stdout. */
export function startServiceProcess(
  repo: string,
  name: ServiceName,
  env: Record<string, string>,
): RunningService {
  const launch = serviceLaunch(repo, name);
  const child = spawn(process.execPath, launch.args, {
    cwd: repo,
    env: launchEnv(launch, { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    if (stream)
      createInterface({ input: stream }).on('line', (line) =>
        process.stdout.write(`[${name}] ${line}\n`),
      );
  }
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { name, child, exited };
}

/**
 * `pnpm start --iceberg`: the sink writes the table `loglake.events` through the stack's REST
 * catalog (created on first start, files under the catalog's warehouse on the stack's S3 server).
 */
function icebergSinkEnv(
  catalogUrl: string,
  s3: NonNullable<StackInfo['s3']>,
): Record<string, string> {
  return {
    SINK_TABLE_FORMAT: 'iceberg',
    SINK_ICEBERG_CATALOG_URL: catalogUrl,
    S3_ENDPOINT: s3.endpoint ?? '',
    S3_REGION: s3.region ?? 'us-east-1',
    S3_FORCE_PATH_STYLE: 'true',
    S3_ACCESS_KEY_ID: s3.credentials?.accessKeyId ?? '',
    S3_SECRET_ACCESS_KEY: s3.credentials?.secretAccessKey ?? '',
  };
}

/**
 * The local default pipeline: the gateway in open mode on 127.0.0.1:8080, the sink into
 * `<repo>/lake` (or, with `--iceberg`, into the Iceberg table `loglake.events`); through the
 * secured broker, each with its own login, when the stack runs it.
 */
export function startPipeline(info: StackInfo): RunningService[] {
  const plain = { KAFKA_BROKERS: (info.kafka.single ?? []).join(',') };
  const kafka = (user: 'gateway' | 'sink') =>
    info.secure ? kafkaClientEnv(secureClientConfig(info.paths, info.secure.users[user])) : plain;
  return [
    startServiceProcess(info.paths.repo, 'gateway', {
      ...kafka('gateway'),
      GATEWAY_OPEN_MODE: 'true',
    }),
    startServiceProcess(info.paths.repo, 'sink', {
      ...kafka('sink'),
      ...(info.iceberg && info.s3 ? icebergSinkEnv(info.iceberg.url, info.s3) : {}),
      SINK_OUTPUT_URL: `file://${join(info.paths.repo, 'lake')}`,
    }),
  ];
}
