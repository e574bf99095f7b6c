/** Before the load: the stack (whichever checkout serves it), a fresh topic, two sinks and a gateway. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createKafkaAdmin, type KafkaAdmin, type KafkaClientConfig } from '@loglake/kafka';
import {
  S3_SERVER,
  THREE_BROKERS,
  SINGLE_BROKER,
  findRepoRoot,
  serviceLaunch,
  stackDown,
  stackPaths,
  stackUp,
  type StackInfo,
  type StackPaths,
} from '@loglake/stack';
import type { ChaosOptions } from './options.ts';
import { FREEZE_MS, SINK_SESSION_TIMEOUT_MS } from './plan.ts';
import { ChaosService } from './processes.ts';
import { freePort } from './probes.ts';
import { servingStackDir } from './stack-owner.ts';
import type { ChaosSink } from './faults.ts';

export const PARTITIONS = 6;

/** The sinks' settings beyond where they read and write: production defaults but these. */
export const SINK_OVERRIDES = {
  SINK_FLUSH_MAX_AGE_MS: '5000',
  SINK_SESSION_TIMEOUT_MS: String(SINK_SESSION_TIMEOUT_MS),
} as const;

export interface ChaosSetup {
  readonly root: string;
  readonly info: StackInfo;
  readonly paths: StackPaths;
  readonly kafka: KafkaClientConfig;
  readonly admin: KafkaAdmin;
  readonly replicationFactor: number;
  readonly tag: string;
  readonly topic: string;
  readonly group: string;
  readonly lakeUrl: string;
  /** The folder versitygw keeps the lake in (its POSIX backend). */
  readonly lakeDir: string;
  readonly logsDir: string;
  /** S3 and Kafka settings for the services, verify and lake:check. */
  readonly clientEnv: Readonly<Record<string, string>>;
  /** Stops the stack components this run started (the rest were running before). */
  stopStarted(): Promise<string[]>;
}

/** Starts what of the stack is not running, in the stack folder of the checkout that serves its ports. */
export async function prepare(
  options: ChaosOptions,
  log: (m: string) => void,
): Promise<ChaosSetup> {
  const spec = options.three ? THREE_BROKERS : SINGLE_BROKER;
  const ports = [S3_SERVER.port, ...spec.nodes.map((n) => n.port)];
  const stackDir = servingStackDir(ports) ?? undefined;
  if (stackDir && stackDir !== stackPaths().root)
    log(`the stack's ports are served from ${stackDir} (another checkout): working there`);
  const info = await stackUp({
    kafka: [options.three ? 'three' : 'single'],
    s3: true,
    prometheus: 'off',
    ...(stackDir ? { stackDir } : {}),
    log,
  });
  const brokers = info.kafka[options.three ? 'three' : 'single'] ?? [];
  const s3 = info.s3;
  if (brokers.length === 0 || !s3?.endpoint || !s3.credentials)
    throw new Error('the stack gave no Kafka or no S3');
  const kafka: KafkaClientConfig = {
    brokers: [...brokers],
    clientId: 'chaos',
    ssl: false,
    connectionTimeoutMs: 3000,
    requestTimeoutMs: 30000,
  };
  const admin = createKafkaAdmin(kafka);
  await admin.connect();
  const tag = `chaos-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-s${options.seed}`;
  const topic = tag;
  const rf = spec.replicationFactor;
  await admin.ensureTopic({ topic, partitions: PARTITIONS, replicationFactor: rf });
  await admin.ensureTopic({ topic: `${topic}-dlq`, partitions: 1, replicationFactor: rf });
  const logsDir = join(info.paths.logs, tag);
  mkdirSync(logsDir, { recursive: true });
  return {
    root: findRepoRoot(),
    info,
    paths: info.paths,
    kafka,
    admin,
    replicationFactor: rf,
    tag,
    topic,
    group: `${topic}-sink`,
    lakeUrl: `s3://${s3.bucket}/${tag}`,
    lakeDir: join(info.paths.data, 's3', s3.bucket, tag),
    logsDir,
    stopStarted: () => {
      const only = [...new Set(info.started.map((n) => n.replace(/-\d+$/, '')))];
      return only.length === 0
        ? Promise.resolve([])
        : stackDown({ only, stackDir: info.paths.root });
    },
    clientEnv: {
      KAFKA_BROKERS: brokers.join(','),
      S3_ENDPOINT: s3.endpoint,
      S3_REGION: s3.region ?? 'us-east-1',
      S3_ACCESS_KEY_ID: s3.credentials.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
    },
  };
}

export interface ChaosServices {
  readonly gateway: ChaosService;
  readonly gatewayPort: number;
  readonly sinks: readonly [ChaosSink, ChaosSink];
}

async function sink(setup: ChaosSetup, name: string): Promise<ChaosSink> {
  const port = await freePort();
  const service = new ChaosService(setup.root, {
    name,
    launch: serviceLaunch(setup.root, 'sink'),
    readyUrl: `http://127.0.0.1:${port}/readyz`,
    logFile: join(setup.logsDir, `${name}.log`),
    env: {
      ...setup.clientEnv,
      SINK_OUTPUT_URL: setup.lakeUrl,
      SINK_TOPIC: setup.topic,
      SINK_DLQ_TOPIC: `${setup.topic}-dlq`,
      SINK_GROUP_ID: setup.group,
      SINK_ADMIN_PORT: String(port),
      SINK_TMP_DIR: join(setup.logsDir, `${name}-tmp`),
      ...SINK_OVERRIDES,
    },
  });
  return { service, metricsUrl: `http://127.0.0.1:${port}/metrics` };
}

/** Creates the services (not started): a gateway in open mode and two sinks of one group. */
export async function createServices(setup: ChaosSetup): Promise<ChaosServices> {
  const gatewayPort = await freePort();
  const adminPort = await freePort();
  const gateway = new ChaosService(setup.root, {
    name: 'gateway',
    launch: serviceLaunch(setup.root, 'gateway'),
    readyUrl: `http://127.0.0.1:${adminPort}/readyz`,
    logFile: join(setup.logsDir, 'gateway.log'),
    env: {
      KAFKA_BROKERS: setup.clientEnv.KAFKA_BROKERS ?? '',
      GATEWAY_PORT: String(gatewayPort),
      GATEWAY_ADMIN_PORT: String(adminPort),
      GATEWAY_TOPIC: setup.topic,
      GATEWAY_DLQ_TOPIC: `${setup.topic}-dlq`,
      GATEWAY_OPEN_MODE: 'true',
    },
  });
  return {
    gateway,
    gatewayPort,
    sinks: [await sink(setup, 'sink-a'), await sink(setup, 'sink-b')],
  };
}

export const FREEZE_NOTE = `frozen ≥ ${FREEZE_MS / 1000} s, session ${SINK_SESSION_TIMEOUT_MS / 1000} s`;
