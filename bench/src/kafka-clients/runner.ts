/**
 * One repetition of one client: a fresh 6-partition topic, a produce child, the topic's end offsets
 * checked against the records sent (in total, and per partition against the Java producer's
 * key → partition mapping), a consume child draining the topic in a fresh group, its records checked
 * against the same offsets. The same for Kafka's ProducerPerformance / ConsumerPerformance.
 */
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { join } from 'node:path';
import type { KafkaAdmin } from '@loglake/kafka';
import { cpuSeconds, exitedChildrenCpuSeconds, round } from '../proc-stats.ts';
import { FETCH, type ClientAdapter } from './adapter.ts';
import type { ChildJob, ConsumeResult, ProduceResult } from './child.ts';
import {
  consumerPerformance,
  logBatches,
  producerPerformance,
  type ConsumerPerfRun,
  type LogBatches,
  type ProducerPerfRun,
} from './java.ts';
import type { KafkaBenchSettings } from './settings.ts';

export interface RunContext {
  readonly settings: KafkaBenchSettings;
  readonly brokers: readonly string[];
  readonly admin: KafkaAdmin;
  readonly jars: string;
  readonly runTag: string;
  readonly logsDir: string;
  /** Records per partition a Java producer puts in a topic of `settings.partitions`. */
  readonly javaPerPartition: readonly number[];
  /** The values file of ProducerPerformance (--payload-file). */
  readonly payloadFile: string;
  readonly brokerPid: number | null;
  /** The broker's log.dirs, where DumpLogSegments reads the topics' batches. */
  readonly brokerLogDir: string;
  log(message: string): void;
}

export interface Measured<R> {
  readonly result: R;
  /** CPU of the child from exec to exit (startup, connect and close included). */
  readonly process_cpu_s: number;
  /** CPU of the broker while the child ran (the broker shares the machine's cores). */
  readonly broker_cpu_s: number | null;
}

export interface ClientRun {
  readonly client: string;
  readonly repetition: number;
  readonly topic: string;
  readonly produce: Measured<ProduceResult>;
  readonly consume: Measured<ConsumeResult> | null;
  readonly end_offsets: readonly number[];
  readonly log_batches: LogBatches;
  /** Every problem found by the checks; an empty list is a valid run. */
  readonly failures: readonly string[];
  /** Valid, but worth a look: the idempotent producer was reset, or its sequences broke. */
  readonly warnings: readonly string[];
}

const CHILD = join(import.meta.dirname, 'child.ts');

async function runChild<R>(ctx: RunContext, job: ChildJob, label: string): Promise<Measured<R>> {
  const log = openSync(join(ctx.logsDir, `${label}.log`), 'a');
  const cpu0 = exitedChildrenCpuSeconds();
  const broker0 = ctx.brokerPid === null ? null : cpuSeconds(ctx.brokerPid);
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(job)], {
    stdio: ['ignore', 'pipe', log],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const killer = setTimeout(() => child.kill('SIGKILL'), 15 * 60_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(killer);
  const brokerCpu = broker0 === null || ctx.brokerPid === null ? null : cpuSeconds(ctx.brokerPid);
  const line = out.trim().split('\n').at(-1) ?? '';
  if (code !== 0 || !line.startsWith('{'))
    throw new Error(`${label} exited ${code}; see ${join(ctx.logsDir, `${label}.log`)}`);
  return {
    result: JSON.parse(line) as R,
    process_cpu_s: round(exitedChildrenCpuSeconds() - cpu0, 2),
    broker_cpu_s: brokerCpu === null || broker0 === null ? null : round(brokerCpu - broker0, 2),
  };
}

async function endOffsets(admin: KafkaAdmin, topic: string): Promise<number[]> {
  const offsets = await admin.topicOffsets(topic);
  return offsets.sort((a, b) => a.partition - b.partition).map((p) => Number(p.high));
}

/** Total and per-partition checks of a topic that should hold `records` records keyed as the bench keys them. */
function checkOffsets(ctx: RunContext, offsets: readonly number[], keyed: boolean): string[] {
  const total = offsets.reduce((a, b) => a + b, 0);
  const failures: string[] = [];
  if (total !== ctx.settings.records)
    failures.push(`topic holds ${total} records, ${ctx.settings.records} were sent`);
  if (keyed && offsets.some((n, p) => n !== ctx.javaPerPartition[p]))
    failures.push(
      `records per partition ${offsets.join('/')} differ from the Java producer's ${ctx.javaPerPartition.join('/')}`,
    );
  return failures;
}

function checkConsume(ctx: RunContext, c: ConsumeResult, offsets: readonly number[]): string[] {
  const failures: string[] = [];
  if (c.records !== ctx.settings.records)
    failures.push(`consumed ${c.records} of ${ctx.settings.records}`);
  if (c.out_of_sequence > 0) failures.push(`${c.out_of_sequence} records out of sequence`);
  if (c.non_buffer_values > 0) failures.push(`${c.non_buffer_values} values not Buffers`);
  if (offsets.some((n, p) => (c.next_offsets[String(p)] ?? 0) !== n))
    failures.push(
      `consumed up to ${JSON.stringify(c.next_offsets)}, end offsets ${offsets.join('/')}`,
    );
  return failures;
}

/** The topic's batches as the broker stored them, and what in them says the producer was reset. */
async function inspectLog(ctx: RunContext, topic: string) {
  const dirs = Array.from({ length: ctx.settings.partitions }, (_, p) =>
    join(ctx.brokerLogDir, `${topic}-${p}`),
  );
  const batches = await logBatches(ctx.jars, dirs);
  const warnings: string[] = [];
  if (batches.producers.length !== 1)
    warnings.push(
      `written by ${batches.producers.length} producer id/epochs: ${batches.producers.join(', ')}`,
    );
  if (batches.sequence_breaks > 0)
    warnings.push(`${batches.sequence_breaks} batches break their producer's sequence`);
  return { batches, warnings };
}

async function withFreshTopic<T>(
  ctx: RunContext,
  topic: string,
  body: () => Promise<T>,
): Promise<T> {
  await ctx.admin.ensureTopic({ topic, partitions: ctx.settings.partitions, replicationFactor: 1 });
  try {
    return await body();
  } finally {
    await ctx.admin
      .deleteTopics([topic])
      .catch((e: unknown) => ctx.log(`delete ${topic}: ${String(e)}`));
    await ctx.admin.deleteGroups([`${topic}-group`]).catch(() => undefined);
  }
}

export async function runClient(
  ctx: RunContext,
  adapter: ClientAdapter,
  repetition: number,
): Promise<ClientRun> {
  const topic = `${ctx.runTag}-${adapter.id}-r${repetition}`;
  return withFreshTopic(ctx, topic, async () => {
    const job = (kind: ChildJob['kind']): ChildJob => ({
      kind,
      client: adapter.id,
      target: { brokers: ctx.brokers, topic, clientId: `bench-${adapter.id}` },
      groupId: `${topic}-group`,
      records: ctx.settings.records,
      batch: ctx.settings.batch,
      stallMs: ctx.settings.stallMs,
    });
    const label = `${adapter.id}-r${repetition}`;
    const produce = await runChild<ProduceResult>(ctx, job('produce'), `${label}-produce`);
    const offsets = await endOffsets(ctx.admin, topic);
    const failures = checkOffsets(ctx, offsets, true);
    const { batches, warnings } = await inspectLog(ctx, topic);
    let consume: Measured<ConsumeResult> | null = null;
    if (failures.length === 0) {
      consume = await runChild<ConsumeResult>(ctx, job('consume'), `${label}-consume`);
      failures.push(...checkConsume(ctx, consume.result, offsets));
    }
    return {
      client: adapter.id,
      repetition,
      topic,
      produce,
      consume,
      end_offsets: offsets,
      log_batches: batches,
      failures,
      warnings,
    };
  });
}

export interface JavaPairRun {
  readonly repetition: number;
  readonly producer: ProducerPerfRun;
  readonly consumer: ConsumerPerfRun | null;
  readonly end_offsets: readonly number[];
  readonly log_batches: LogBatches;
  readonly failures: readonly string[];
  readonly warnings: readonly string[];
}

/** Kafka's ProducerPerformance into a fresh topic, then ConsumerPerformance draining it. */
export async function runJavaPair(
  ctx: RunContext,
  repetition: number,
  records = ctx.settings.records,
): Promise<JavaPairRun> {
  const topic = `${ctx.runTag}-java-r${repetition}`;
  return withFreshTopic(ctx, topic, async () => {
    const logFile = join(ctx.logsDir, `java-r${repetition}.log`);
    const base = { jars: ctx.jars, brokers: ctx.brokers, topic, records, logFile };
    const producer = await producerPerformance({ ...base, payloadFile: ctx.payloadFile });
    const offsets = await endOffsets(ctx.admin, topic);
    const total = offsets.reduce((a, b) => a + b, 0);
    const failures =
      total === records && producer.records === records
        ? []
        : [`ProducerPerformance sent ${producer.records}, the topic holds ${total} of ${records}`];
    const { batches, warnings } = await inspectLog(ctx, topic);
    let consumer: ConsumerPerfRun | null = null;
    if (failures.length === 0) {
      consumer = await consumerPerformance({
        ...base,
        group: `${topic}-group`,
        fetchMaxBytes: FETCH.maxBytes,
        fetchMaxWaitMs: FETCH.maxWaitMs,
      });
      if (consumer.records !== records)
        failures.push(`ConsumerPerformance read ${consumer.records} of ${records}`);
    }
    return {
      repetition,
      producer,
      consumer,
      end_offsets: offsets,
      log_batches: batches,
      failures,
      warnings,
    };
  });
}
