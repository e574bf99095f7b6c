import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { deadLetter } from '@loglake/events';
import type { KafkaProducer } from '@loglake/kafka';
import type { ObjectStore } from '@loglake/object-store';
import type { ParquetEncoder } from './encoder.ts';
import { writeIntent, type Intent } from './intent.ts';
import { dataKey } from './layout.ts';
import type { CutRange } from './range-buffer.ts';

export interface FlushContext {
  readonly topic: string;
  readonly dlqTopic: string;
  readonly writer: string;
  readonly tmpDir: string;
  readonly store: ObjectStore;
  readonly encoder: ParquetEncoder;
  readonly dlqProducer: KafkaProducer;
  /** Runs one lake write with retries. */
  readonly retry: <T>(fn: () => Promise<T>) => Promise<T>;
}

export type FlushOutcome =
  | { readonly status: 'written'; readonly files: number; readonly bytes: number; readonly followedIntent: boolean }
  | { readonly status: 'conflict'; readonly existing: Intent };

function planFiles(ctx: FlushContext, range: CutRange) {
  return [...range.buckets.entries()]
    .map(([bucket, lines]) => ({ key: dataKey(ctx.topic, range.partition, range.first, range.last, bucket), lines }))
    .sort((a, b) => (a.key < b.key ? -1 : 1));
}

/**
 * Writes one cut range durably: 1. record the cut (intent, conditional create), 2. write each
 * bucket's Parquet object, 3. send the range's dead letters. When the intent already exists with the
 * same cut, this is a replay and rewrites the same objects with the same rows; with another cut, it
 * stops (conflict) and the caller re-reads the partition from `first`.
 */
export async function flushRange(ctx: FlushContext, range: CutRange): Promise<FlushOutcome> {
  const files = planFiles(ctx, range);
  const intent: Intent = {
    version: 1,
    topic: ctx.topic,
    partition: range.partition,
    first: range.first.toString(),
    last: range.last.toString(),
    files: files.map((f) => ({ key: f.key, rows: f.lines.length })),
    dead_letters: range.poison.length,
    created_at: new Date().toISOString(),
    writer: ctx.writer,
  };
  const recorded = await ctx.retry(() => writeIntent(ctx.store, intent));
  let followedIntent = false;
  if (recorded.status === 'exists') {
    const same =
      recorded.existing.last === intent.last &&
      JSON.stringify(recorded.existing.files.map((f) => f.key)) === JSON.stringify(intent.files.map((f) => f.key));
    if (!same) return { status: 'conflict', existing: recorded.existing };
    followedIntent = true;
  }

  let bytes = 0;
  for (const file of files) {
    bytes += await ctx.retry(async () => {
      const tmp = join(ctx.tmpDir, `${randomBytes(8).toString('hex')}.parquet`);
      try {
        const encoded = await ctx.encoder.encode(file.lines, tmp);
        await ctx.store.putFile(file.key, tmp, {
          contentType: 'application/vnd.apache.parquet',
          metadata: { 'loglake-range': `${intent.first}-${intent.last}`, 'loglake-rows': String(file.lines.length) },
        });
        return encoded.bytes;
      } finally {
        await rm(tmp, { force: true });
      }
    });
  }

  if (range.poison.length > 0) {
    const receivedAt = Date.now();
    const records = range.poison.map((p) => ({
      key: null,
      value: deadLetter(p.reject, p.raw, {
        stage: 'sink',
        received_at: receivedAt,
        topic: ctx.topic,
        partition: range.partition,
        offset: p.offset.toString(),
      }),
    }));
    await ctx.retry(() => ctx.dlqProducer.send(ctx.dlqTopic, records));
  }
  return { status: 'written', files: files.length, bytes, followedIntent };
}
