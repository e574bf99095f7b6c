/** What every measurement needs: the stack's addresses, an admin client, settings, and fresh topics. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createKafkaAdmin, type KafkaAdmin, type KafkaClientConfig } from '@loglake/kafka';
import { SINGLE_BROKER, findRepoRoot, nodeName, type StackInfo } from '@loglake/stack';
import type { SinkTarget } from './services.ts';
import type { BenchSettings } from './settings.ts';

export interface BenchContext {
  readonly root: string;
  readonly settings: BenchSettings;
  readonly kafka: KafkaClientConfig;
  readonly admin: KafkaAdmin;
  readonly s3: NonNullable<StackInfo['s3']>;
  /** Unique per `pnpm bench` run: names topics, groups and the S3 prefix. */
  readonly runTag: string;
  readonly logsDir: string;
  /** The local Kafka broker's process (shared with anything else using the stack), if found. */
  readonly brokerPid: number | null;
  /** Progress on stderr. */
  log(message: string): void;
}

export async function createContext(
  info: StackInfo,
  settings: BenchSettings,
): Promise<BenchContext> {
  const brokers = info.kafka.single ?? [];
  if (brokers.length === 0 || !info.s3) throw new Error('the stack gave no Kafka or no S3');
  const kafka: KafkaClientConfig = {
    brokers: [...brokers],
    clientId: 'bench',
    ssl: false,
    connectionTimeoutMs: 3000,
    requestTimeoutMs: 30000,
  };
  const admin = createKafkaAdmin(kafka);
  await admin.connect();
  const started = Date.now();
  const pidFile = join(info.paths.run, `${nodeName(SINGLE_BROKER, 1)}.pid`);
  const brokerPid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : null;
  return {
    root: findRepoRoot(),
    settings,
    kafka,
    admin,
    s3: info.s3,
    runTag: `bench-${started}`,
    logsDir: join(info.paths.logs, `bench-${started}`),
    brokerPid: brokerPid !== null && existsSync(`/proc/${brokerPid}/stat`) ? brokerPid : null,
    log: (message) => {
      const s = ((Date.now() - started) / 1000).toFixed(0).padStart(5);
      process.stderr.write(`[bench ${s}s] ${message}\n`);
    },
  };
}

/** Where the sink of run `label` writes: s3://<bucket>/<runTag>/<label>. */
export function sinkTarget(ctx: BenchContext, label: string): SinkTarget {
  return { s3: ctx.s3, outputUrl: `s3://${ctx.s3.bucket}/${ctx.runTag}/${label}` };
}

/**
 * Runs `body` with a new topic of 6 partitions (and its 1-partition DLQ), then deletes both,
 * and the consumer group `<topic>-group` if one was made.
 */
export async function withTopic<T>(
  ctx: BenchContext,
  label: string,
  body: (topic: string) => Promise<T>,
): Promise<T> {
  const topic = `${ctx.runTag}-${label}`;
  await ctx.admin.ensureTopic({ topic, partitions: 6, replicationFactor: 1 });
  await ctx.admin.ensureTopic({ topic: `${topic}-dlq`, partitions: 1, replicationFactor: 1 });
  try {
    return await body(topic);
  } finally {
    await ctx.admin.deleteTopics([topic, `${topic}-dlq`]).catch((error: unknown) => {
      ctx.log(`could not delete topic ${topic}: ${String(error)}`);
    });
    await ctx.admin.deleteGroups([`${topic}-group`]).catch(() => undefined);
  }
}

/** Sum over partitions of the log end offsets: records in a fresh topic. */
export async function recordsInTopic(admin: KafkaAdmin, topic: string): Promise<number> {
  return (await admin.topicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
}
