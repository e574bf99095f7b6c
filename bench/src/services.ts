/** The services under test as child processes: started, waited for, and stopped. */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { launchEnv, serviceLaunch, type NodeLaunch, type StackInfo } from '@loglake/stack';

export const GATEWAY_PORT = 18080;
export const GATEWAY_ADMIN_PORT = 19464;
export const SINK_ADMIN_PORT = 19465;
export const EMPTY_SERVER_PORT = 18081;

export interface Service {
  readonly name: string;
  readonly pid: number;
  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const running = new Set<ChildProcess>();

/** For an interrupted run: kills every service still running. */
export function killAll(): void {
  for (const child of running) child.kill('SIGKILL');
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts `node` as `launch` says and resolves once `readyUrl` answers 2xx. */
export async function startService(options: {
  readonly name: string;
  readonly root: string;
  readonly launch: NodeLaunch;
  readonly env: Readonly<Record<string, string>>;
  readonly readyUrl: string;
  readonly logFile: string;
}): Promise<Service> {
  mkdirSync(dirname(options.logFile), { recursive: true });
  const log = openSync(options.logFile, 'a');
  const child = spawn(process.execPath, options.launch.args, {
    cwd: options.root,
    stdio: ['ignore', log, log],
    env: launchEnv(options.launch, {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...options.env,
    }),
  });
  closeSync(log);
  running.add(child);
  child.once('exit', () => running.delete(child));
  const service: Service = {
    name: options.name,
    pid: child.pid ?? 0,
    async stop(graceMs = 60_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited(child);
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${options.name} exited before it was ready; see ${options.logFile}`);
    }
    const ok = await fetch(options.readyUrl).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return service;
    if (Date.now() > deadline) {
      await service.stop(5000);
      throw new Error(`${options.name} not ready after 90 s; see ${options.logFile}`);
    }
    await sleep(100);
  }
}

export function startGateway(options: {
  readonly root: string;
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly logFile: string;
  /** `GATEWAY_WORKERS` (default 1). */
  readonly workers?: number;
}): Promise<Service> {
  return startService({
    name: 'gateway',
    root: options.root,
    launch: serviceLaunch(options.root, 'gateway'),
    readyUrl: `http://127.0.0.1:${GATEWAY_PORT}/readyz`,
    logFile: options.logFile,
    env: {
      KAFKA_BROKERS: options.brokers.join(','),
      GATEWAY_PORT: String(GATEWAY_PORT),
      GATEWAY_ADMIN_PORT: String(GATEWAY_ADMIN_PORT),
      GATEWAY_TOPIC: options.topic,
      GATEWAY_DLQ_TOPIC: `${options.topic}-dlq`,
      GATEWAY_OPEN_MODE: 'true',
      GATEWAY_RATE_LIMIT_EVENTS_PER_S: '0',
      GATEWAY_WORKERS: String(options.workers ?? 1),
      LOG_LEVEL: 'warn',
    },
  });
}

export interface SinkTarget {
  readonly s3: NonNullable<StackInfo['s3']>;
  /** s3://bucket/prefix */
  readonly outputUrl: string;
}

export function startSink(options: {
  readonly root: string;
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly groupId: string;
  readonly target: SinkTarget;
  readonly logFile: string;
  /** Extra SINK_* settings, e.g. SINK_FLUSH_MAX_AGE_MS. */
  readonly env?: Readonly<Record<string, string>>;
}): Promise<Service> {
  const s3 = options.target.s3;
  return startService({
    name: 'sink',
    root: options.root,
    launch: serviceLaunch(options.root, 'sink'),
    readyUrl: `http://127.0.0.1:${SINK_ADMIN_PORT}/readyz`,
    logFile: options.logFile,
    env: {
      KAFKA_BROKERS: options.brokers.join(','),
      S3_ENDPOINT: s3.endpoint ?? '',
      S3_ACCESS_KEY_ID: s3.credentials?.accessKeyId ?? '',
      S3_SECRET_ACCESS_KEY: s3.credentials?.secretAccessKey ?? '',
      SINK_OUTPUT_URL: options.target.outputUrl,
      SINK_TOPIC: options.topic,
      SINK_DLQ_TOPIC: `${options.topic}-dlq`,
      SINK_GROUP_ID: options.groupId,
      SINK_ADMIN_PORT: String(SINK_ADMIN_PORT),
      LOG_LEVEL: 'warn',
      ...options.env,
    },
  });
}
