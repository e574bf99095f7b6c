/**
 * The records every client sends: 1,000 distinct pre-built values of exactly VALUE_BYTES bytes (a
 * stored event as the gateway writes it, its URL padded) keyed by user id, as the gateway keys them.
 * Record i has key KEYS[i % 1000] and value VALUES[i % 1000].
 */
import { sampleEvent } from '../sample-event.ts';
import type { BenchRecord } from './adapter.ts';

export const VALUE_BYTES = 450;
export const DISTINCT = 1000;

function value(i: number): Buffer {
  const event = sampleEvent(i);
  delete event.create_time;
  const stored: Record<string, unknown> = {
    event_id: `0195f3c2-${(0x7000 + (i % 0x1000)).toString(16)}-7def-8123-${i.toString(16).padStart(12, '0')}`,
    ...event,
    ts: 1_796_000_000_000 + i,
    received_at: 1_796_000_000_100 + i,
    source: ['web', 'ios', 'android'][i % 3],
  };
  const text = JSON.stringify(stored);
  const missing = VALUE_BYTES - Buffer.byteLength(text);
  if (missing < 0) throw new Error(`event ${i} is ${-missing} bytes over ${VALUE_BYTES}`);
  const pad = missing >= 3 ? `&p=${'x'.repeat(missing - 3)}` : 'x'.repeat(missing);
  stored.url = `${String(stored.url)}${pad}`;
  const padded = Buffer.from(JSON.stringify(stored));
  if (padded.length !== VALUE_BYTES) throw new Error(`event ${i} is ${padded.length} bytes`);
  return padded;
}

export const KEYS: readonly Buffer[] = Array.from({ length: DISTINCT }, (_, i) =>
  Buffer.from(`user-${i}`),
);
export const VALUES: readonly Buffer[] = Array.from({ length: DISTINCT }, (_, i) => value(i));

/** Batch `b` of `size` records (record numbers b*size … b*size+size-1, never past `total`). */
export function batchOf(b: number, size: number, total: number): BenchRecord[] {
  const out: BenchRecord[] = [];
  for (let i = b * size; i < Math.min(total, (b + 1) * size); i += 1) {
    out.push({ key: KEYS[i % DISTINCT] as Buffer, value: VALUES[i % DISTINCT] as Buffer });
  }
  return out;
}

/** How many of `total` records carry each key (key index → count). */
export function keyCounts(total: number): number[] {
  return Array.from(
    { length: DISTINCT },
    (_, k) => Math.floor(total / DISTINCT) + (k < total % DISTINCT ? 1 : 0),
  );
}
