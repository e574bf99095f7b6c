import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { LoglakeError } from '@loglake/core';
import {
  DEFAULT_TOPIC_RETENTION_MS,
  createKafkaAclAdmin,
  createKafkaAdmin,
  describeTopicConfigs,
  pipelineAcls,
  type KafkaClientConfig,
} from '@loglake/kafka';
import type { S3ClientConfig } from '@loglake/object-store';
import {
  SECURE_BROKER,
  SECURE_USERS,
  SINGLE_BROKER,
  THREE_BROKERS,
  bootstrapServers,
  kafkaNodeRunning,
  nodeName,
  secureCaFile,
  stackClientConfig,
  startKafkaCluster,
  stopKafkaCluster,
  type KafkaClusterSpec,
} from './kafka.ts';
import { stackPaths, type StackPaths } from './paths.ts';
import {
  ICEBERG_CATALOG,
  icebergCatalogInfo,
  icebergCatalogRunning,
  startIcebergCatalog,
  stopIcebergCatalog,
  type IcebergCatalogInfo,
} from './iceberg.ts';
import { PROMETHEUS, prometheusRunning, startPrometheus, stopPrometheus } from './prometheus.ts';
import { S3_SERVER, s3ClientConfig, s3Running, startS3, stopS3 } from './s3.ts';

export type KafkaLayout = 'single' | 'three' | 'secure';

export interface StackOptions {
  /** Which Kafka clusters to run: the one-broker default, the three-node one, the secured one. */
  readonly kafka?: readonly KafkaLayout[];
  /** `retention.ms` of the pipeline topics the stack creates (default 7 days). */
  readonly topicRetentionMs?: number;
  readonly s3?: boolean;
  /**
   * The Apache Iceberg REST catalog (needs `s3`). Off by default: a 145 MB first download and a
   * JVM of 100-250 MB RSS that only the iceberg tests and the iceberg table format use.
   */
  readonly iceberg?: boolean;
  /** `auto` starts Prometheus when the binary is on PATH and says so when it is not. */
  readonly prometheus?: 'auto' | 'required' | 'off';
  /** Folder for the stack's cache, data, logs and pid files (default `.stack` in the repo). */
  readonly stackDir?: string;
  /** Time limit for each component to become ready. */
  readonly timeoutMs?: number;
  readonly log?: (message: string) => void;
}

export interface StackInfo {
  readonly paths: StackPaths;
  readonly kafka: Partial<Record<KafkaLayout, readonly string[]>>;
  readonly s3?: S3ClientConfig & { readonly bucket: string };
  readonly prometheusUrl?: string;
  readonly iceberg?: IcebergCatalogInfo;
  /** With the `secure` layout: how to reach the secured broker. */
  readonly secure?: SecureKafkaInfo;
  /** Components this call started (the rest were already running). */
  readonly started: readonly string[];
}

export interface SecureKafkaInfo {
  /** SASL_SSL bootstrap servers. */
  readonly brokers: readonly string[];
  /** The CA certificate that signed the broker's (`KAFKA_SSL_CA_FILE`). */
  readonly caFile: string;
  readonly users: typeof SECURE_USERS;
}

/** Topics of the pipeline, created on every cluster the stack starts. */
export const PIPELINE_TOPICS = ['log-data', 'log-data-dlq'] as const;
/** The sink's consumer group, as the services default it (the secured broker's ACLs name it). */
export const PIPELINE_GROUP = 'loglake-sink';

const LAYOUTS: Record<KafkaLayout, KafkaClusterSpec> = {
  single: SINGLE_BROKER,
  three: THREE_BROKERS,
  secure: SECURE_BROKER,
};

export function clusterSpec(layout: KafkaLayout): KafkaClusterSpec {
  return LAYOUTS[layout];
}

function onPath(binary: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, binary);
    if (dir !== '' && existsSync(candidate)) return candidate;
  }
  return null;
}

/**
 * Creates the pipeline's topics with explicit settings (retention, min.insync.replicas from the
 * replication factor) and, on the secured cluster, the services' ACLs. An existing topic keeps its
 * settings; the stack says so when its retention differs from the one asked.
 */
async function ensurePipelineTopics(
  paths: StackPaths,
  spec: KafkaClusterSpec,
  retentionMs: number,
  log: (message: string) => void,
): Promise<void> {
  const config: KafkaClientConfig = {
    ...stackClientConfig(paths, spec),
    connectionTimeoutMs: 3000,
    requestTimeoutMs: 30000,
  };
  const admin = createKafkaAdmin(config);
  await admin.connect();
  try {
    for (const topic of PIPELINE_TOPICS) {
      const created = await admin.ensureTopic({
        topic,
        partitions: 6,
        replicationFactor: spec.replicationFactor,
        retentionMs,
      });
      if (created) continue;
      const kept = (await describeTopicConfigs(config, topic, ['retention.ms']))['retention.ms'];
      if (kept?.value !== String(retentionMs)) {
        log(
          `${spec.name}: topic ${topic} exists with retention.ms=${kept?.value ?? '?'} (${kept?.source ?? '?'}), not ${retentionMs}; the stack does not change existing topics`,
        );
      }
    }
  } finally {
    await admin.disconnect();
  }
  if (spec.security === 'sasl_ssl') {
    const acls = createKafkaAclAdmin(config);
    await acls.connect();
    try {
      const [topic, dlqTopic] = PIPELINE_TOPICS;
      await acls.create(
        pipelineAcls({
          gateway: SECURE_USERS.gateway.username,
          sink: SECURE_USERS.sink.username,
          topic,
          dlqTopic,
          groupId: PIPELINE_GROUP,
        }),
      );
    } finally {
      await acls.disconnect();
    }
  }
}

/** Starts what is not running yet (idempotent) and returns where everything listens. */
export async function stackUp(options: StackOptions = {}): Promise<StackInfo> {
  const paths = stackPaths(options.stackDir);
  const log = options.log ?? (() => undefined);
  const ctx = { paths, timeoutMs: options.timeoutMs ?? 120_000, log };
  const layouts = options.kafka ?? ['single'];
  const retentionMs = options.topicRetentionMs ?? DEFAULT_TOPIC_RETENTION_MS;
  const started: string[] = [];
  const kafka: Partial<Record<KafkaLayout, readonly string[]>> = {};

  const tasks: Promise<void>[] = [];
  if (options.iceberg && !(options.s3 ?? true)) {
    throw new LoglakeError(
      'LOGLAKE_STACK_START_FAILED',
      'the Iceberg catalog keeps its tables on the stack S3 server: do not turn s3 off',
    );
  }
  if (options.s3 ?? true) {
    tasks.push(
      startS3(ctx).then(async (s) => {
        if (s) started.push(S3_SERVER.name);
        // The catalog creates its bucket on the S3 server, so it starts after it.
        if (options.iceberg && (await startIcebergCatalog(ctx))) started.push(ICEBERG_CATALOG.name);
      }),
    );
  }
  for (const layout of layouts) {
    const spec = LAYOUTS[layout];
    tasks.push(
      startKafkaCluster(ctx, spec).then(async (names) => {
        started.push(...names);
        await ensurePipelineTopics(paths, spec, retentionMs, log);
        kafka[layout] = bootstrapServers(spec);
      }),
    );
  }
  const results = await Promise.allSettled(tasks);
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (failures.length > 0) {
    const messages = failures.map((f) => (f instanceof Error ? f.message : String(f)));
    throw new LoglakeError('LOGLAKE_STACK_START_FAILED', messages.join('\n'), {
      cause: failures[0],
    });
  }

  let prometheusUrl: string | undefined;
  const mode = options.prometheus ?? 'auto';
  if (mode !== 'off') {
    const binary = onPath('prometheus');
    if (binary) {
      if (await startPrometheus({ ...ctx, binary })) started.push(PROMETHEUS.name);
      prometheusUrl = `http://127.0.0.1:${PROMETHEUS.port}`;
    } else if (mode === 'required') {
      throw new LoglakeError(
        'LOGLAKE_STACK_START_FAILED',
        'prometheus is not on PATH (Debian/Ubuntu: apt-get install prometheus; macOS: brew install prometheus)',
      );
    } else {
      log(
        'prometheus is not on PATH: metrics will not be scraped (apt-get install prometheus to add it)',
      );
    }
  }

  return {
    paths,
    kafka,
    ...((options.s3 ?? true) ? { s3: { ...s3ClientConfig(), bucket: S3_SERVER.bucket } } : {}),
    ...(prometheusUrl ? { prometheusUrl } : {}),
    ...(options.iceberg ? { iceberg: icebergCatalogInfo() } : {}),
    ...(layouts.includes('secure')
      ? {
          secure: {
            brokers: bootstrapServers(SECURE_BROKER),
            caFile: secureCaFile(paths),
            users: SECURE_USERS,
          },
        }
      : {}),
    started,
  };
}

/** Stops the named components, or everything of the stack that runs. Returns what it stopped. */
export async function stackDown(
  options: { stackDir?: string; only?: readonly string[] } = {},
): Promise<string[]> {
  const paths = stackPaths(options.stackDir);
  const wants = (name: string) => !options.only || options.only.includes(name);
  const stopped: string[] = [];
  if (wants(PROMETHEUS.name) && (await stopPrometheus(paths))) stopped.push(PROMETHEUS.name);
  const clusters = await Promise.all(
    Object.values(LAYOUTS)
      .filter((spec) => wants(spec.name))
      .map((spec) => stopKafkaCluster(paths, spec)),
  );
  stopped.push(...clusters.flat());
  if (wants(ICEBERG_CATALOG.name) && (await stopIcebergCatalog(paths)))
    stopped.push(ICEBERG_CATALOG.name);
  if (wants(S3_SERVER.name) && (await stopS3(paths))) stopped.push(S3_SERVER.name);
  return stopped;
}

export interface ComponentStatus {
  readonly name: string;
  readonly running: boolean;
  readonly address: string;
}

export function stackStatus(options: { stackDir?: string } = {}): ComponentStatus[] {
  const paths = stackPaths(options.stackDir);
  const kafkaNodes = Object.values(LAYOUTS).flatMap((spec) =>
    spec.nodes.map((n) => ({
      name: nodeName(spec, n.id),
      running: kafkaNodeRunning(paths, spec, n.id),
      address: `127.0.0.1:${n.port}`,
    })),
  );
  return [
    ...kafkaNodes,
    {
      name: S3_SERVER.name,
      running: s3Running(paths),
      address: `http://127.0.0.1:${S3_SERVER.port}`,
    },
    {
      name: ICEBERG_CATALOG.name,
      running: icebergCatalogRunning(paths),
      address: icebergCatalogInfo().url,
    },
    {
      name: PROMETHEUS.name,
      running: prometheusRunning(paths),
      address: `http://127.0.0.1:${PROMETHEUS.port}`,
    },
  ];
}
