/** A sink under test on the in-memory broker and a real local folder store. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, createRegistry } from '@loglake/core';
import { createLocalStore, type ObjectStore } from '@loglake/object-store';
import type { ParquetEncoder } from '../encoder.ts';
import type { Intent } from '../intent.ts';
import { createSinkMetrics } from '../metrics.ts';
import type { RangeLayout } from '../range-layout.ts';
import { intentLayout, LakeSink, type SinkOptions } from '../sink.ts';
import { gatedStore, textEncoder, textLines, type GatedStore } from './gated-store.ts';
import { MemoryBroker, MemoryConsumer } from './memory-kafka.ts';

export const TOPIC = 't';
const HOUR = 3600_000;
const BASE = Date.parse('2026-11-26T10:00:00Z');

/** A valid stored event whose id names its partition and sequence number. */
export function event(partition: number, n: number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    event_id: `p${partition}-${n}`,
    event_type: 'click',
    ts: BASE + ((n * 7919) % (2 * HOUR)),
    received_at: BASE,
    ...extra,
  });
}

export interface RunningSink {
  readonly sink: LakeSink;
  readonly consumer: MemoryConsumer;
  readonly metrics: ReturnType<typeof createSinkMetrics>;
  readonly gated: GatedStore;
}

export class Harness {
  readonly broker: MemoryBroker;
  readonly dir = mkdtempSync(join(tmpdir(), 'loglake-lake-'));
  readonly local: ObjectStore = createLocalStore(this.dir);
  private readonly running: RunningSink[] = [];

  constructor(partitions = 1) {
    this.broker = new MemoryBroker(TOPIC, partitions);
  }

  produce(partition: number, from: number, count: number, skip = 0): void {
    const values: string[] = [];
    for (let n = from; n < from + count; n += 1) values.push(event(partition, n));
    this.broker.produce(partition, values, skip);
  }

  /**
   * Starts a sink member; it gets `partitions` at its first fetch. `wrap` decorates its S3 layout
   * (a test's stand-in for another layout's behaviour).
   */
  async start(
    name: string,
    partitions: readonly number[],
    options: Partial<SinkOptions> = {},
    encoder: ParquetEncoder = textEncoder(),
    wrap: (layout: RangeLayout) => RangeLayout = (layout) => layout,
  ): Promise<RunningSink> {
    const gated = gatedStore(this.local);
    const registry = createRegistry({ service: 'sink' });
    const metrics = createSinkMetrics(registry);
    const consumer = new MemoryConsumer(this.broker, name);
    consumer.assign(partitions);
    const sink = new LakeSink(
      {
        topic: TOPIC,
        dlqTopic: `${TOPIC}-dlq`,
        groupId: 'g',
        flushMaxRows: 10,
        flushMaxBytes: 1 << 20,
        flushMaxAgeMs: 60_000,
        memoryBudgetBytes: 8 << 20,
        maxFlushesInFlight: 4,
        dedupWindowRecords: 1000,
        writer: name,
        tmpDir: mkdtempSync(join(tmpdir(), `loglake-tmp-${name}-`)),
        retryInitialMs: 5,
        retryMaxMs: 20,
        lagIntervalMs: 60_000,
        ...options,
      },
      {
        consumer,
        admin: this.broker.admin(),
        store: gated.store,
        encoder,
        layout: (ctx) => wrap(intentLayout(gated.store, encoder)(ctx)),
        dlqProducer: this.broker.dlqProducer(),
        metrics,
        logger: createLogger({ name: name, level: 'silent' }),
      },
    );
    await sink.start();
    const running = { sink, consumer, metrics, gated };
    this.running.push(running);
    return running;
  }

  /** Stops every sink: releases held writes first so that stopping can finish. */
  async stopAll(): Promise<void> {
    for (const r of this.running) r.gated.release();
    await Promise.all(this.running.map((r) => r.sink.stop()));
  }

  /** Abandons a sink as a crash would: nothing it holds is written, its consumer stops. */
  async crash(r: RunningSink): Promise<void> {
    r.gated.fail(() => true);
    r.gated.release();
    await r.sink.abort();
    this.running.splice(this.running.indexOf(r), 1);
  }

  async intents(partition: number): Promise<Intent[]> {
    const out: Intent[] = [];
    for await (const o of this.local.list(`_loglake/intents/${TOPIC}/p${partition}/`)) {
      out.push(JSON.parse((await this.local.get(o.key)).toString()) as Intent);
    }
    return out;
  }

  /** How often each event id is in the lake's objects, and the objects' keys. */
  async lake(): Promise<{ counts: Map<string, number>; keys: string[] }> {
    const counts = new Map<string, number>();
    const keys: string[] = [];
    for await (const o of this.local.list(`${TOPIC}/`)) {
      keys.push(o.key);
      for (const line of await textLines(this.local, o.key)) {
        const id = (JSON.parse(line) as { event_id: string }).event_id;
        counts.set(id, (counts.get(id) ?? 0) + 1);
      }
    }
    return { counts, keys };
  }

  /**
   * Every record of `partition` from `from` to the log end is in the lake exactly once (poison ones
   * in the dead letters instead), no object is outside an intent, and intents chain without gaps
   * or overlaps.
   */
  async expectExactlyOnce(
    partition: number,
    from: number,
    to: number,
    lost: readonly number[] = [],
  ): Promise<string[]> {
    const problems: string[] = [];
    const { counts, keys } = await this.lake();
    const skip = new Set(lost);
    for (let n = from; n < to; n += 1) {
      const c = counts.get(`p${partition}-${n}`) ?? 0;
      if (skip.has(n) ? c !== 0 : c !== 1) problems.push(`p${partition}-${n} x${c}`);
    }
    const intents = await this.intents(partition);
    const gaps = new Set<string>();
    for await (const o of this.local.list(`_loglake/losses/${TOPIC}/p${partition}/`)) {
      const loss = JSON.parse((await this.local.get(o.key)).toString()) as {
        first: string;
        last: string;
        files: unknown[];
      };
      if (loss.files.length === 0) gaps.add(`${loss.first}-${loss.last}`);
    }
    const named = new Set(intents.flatMap((i) => i.files.map((f) => f.key)));
    for (const k of keys)
      if (k.includes(`-p${partition}-`) && !named.has(k)) problems.push(`orphan ${k}`);
    for (let i = 1; i < intents.length; i += 1) {
      const prev = intents[i - 1] as Intent;
      const cur = intents[i] as Intent;
      const gap = `${BigInt(prev.last) + 1n}-${BigInt(cur.first) - 1n}`;
      if (BigInt(prev.last) + 1n !== BigInt(cur.first) && !gaps.has(gap))
        problems.push(`chain ${prev.first}-${prev.last} then ${cur.first}-${cur.last}`);
    }
    return problems;
  }
}

/** Polls `probe` (no fixed sleeps): fails naming `what` after `ms`. */
export async function until(
  what: string,
  probe: () => boolean | Promise<boolean>,
  ms = 10_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export async function gauge(
  r: RunningSink,
  name: 'bufferedBytes' | 'pausedPartitions' | 'flushesInFlight',
): Promise<number> {
  return (await r.metrics[name].get()).values[0]?.value ?? 0;
}
