import { mkdtempSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KafkaProducer, ProducerRecord } from '@loglake/kafka';
import { createLocalStore } from '@loglake/object-store';
import type { ParquetEncoder } from './encoder.ts';
import { flushRange, type FlushContext } from './flush.ts';
import { RangeBuffer } from './range-buffer.ts';

/** Stands in for the Parquet encoder: the object body is the lines, so tests can read them. */
const textEncoder: ParquetEncoder = {
  name: 'text',
  async encode(lines, path) {
    const body = lines.join('\n');
    await writeFile(path, body);
    return { rows: lines.length, bytes: body.length };
  },
  async close() {},
};

function context(dir: string, sent: ProducerRecord[]): FlushContext {
  const dlq: KafkaProducer = {
    connect: async () => {},
    disconnect: async () => {},
    send: async (_topic, records) => {
      sent.push(...records);
      return [];
    },
  };
  return {
    topic: 't',
    dlqTopic: 't-dlq',
    writer: 'test',
    tmpDir: mkdtempSync(join(tmpdir(), 'loglake-flush-')),
    store: createLocalStore(dir),
    encoder: textEncoder,
    dlqProducer: dlq,
    retry: (fn) => fn(),
  };
}

function range(first: bigint, lines: string[], poison = 0) {
  const b = new RangeBuffer(0, first);
  let o = first;
  for (const l of lines) b.add(o++, Date.parse('2026-11-26T10:00:00Z'), l, 1, 0);
  for (let i = 0; i < poison; i += 1) b.addPoison(o++, { code: 'INVALID_JSON_LINE', message: 'bad' }, 'raw', 0);
  return b.cut();
}

describe('flushRange', () => {
  it('records the intent, writes the objects and the dead letters', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loglake-lake-'));
    const sent: ProducerRecord[] = [];
    const ctx = context(dir, sent);
    const out = await flushRange(ctx, range(0n, ['a', 'b'], 1));
    expect(out).toEqual({ status: 'written', files: 1, bytes: 3, followedIntent: false });
    const keys: string[] = [];
    for await (const o of ctx.store.list('')) keys.push(o.key);
    expect(keys).toEqual([
      '_loglake/intents/t/p0/00000000000000000000.json',
      't/dt=2026-11-26/hour=10/t-p0-00000000000000000000-00000000000000000002.parquet',
    ]);
    expect(JSON.parse(String(sent[0]?.value))).toMatchObject({ stage: 'sink', code: 'INVALID_JSON_LINE', offset: '2' });
  });

  it('a replay of the same range follows the intent and rewrites the same object', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loglake-lake-'));
    const ctx = context(dir, []);
    await flushRange(ctx, range(10n, ['a', 'b']));
    const again = await flushRange(ctx, range(10n, ['a', 'b']));
    expect(again).toMatchObject({ status: 'written', followedIntent: true });
    const keys: string[] = [];
    for await (const o of ctx.store.list('t/')) keys.push(o.key);
    expect(keys).toHaveLength(1);
  });

  it('a different cut from the same first offset is a conflict, and writes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loglake-lake-'));
    const ctx = context(dir, []);
    await flushRange(ctx, range(10n, ['a', 'b', 'c']));
    const other = await flushRange(ctx, range(10n, ['a']));
    expect(other.status).toBe('conflict');
    const keys: string[] = [];
    for await (const o of ctx.store.list('t/')) keys.push(o.key);
    expect(keys).toEqual(['t/dt=2026-11-26/hour=10/t-p0-00000000000000000010-00000000000000000012.parquet']);
  });
});
