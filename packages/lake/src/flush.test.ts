import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KafkaProducer, ProducerRecord } from '@loglake/kafka';
import { createLocalStore } from '@loglake/object-store';
import { Flush, runFlush, type FlushContext } from './flush.ts';
import { MemoryBudget } from './memory-budget.ts';
import { RangeBuffer } from './range-buffer.ts';
import { textEncoder, textLines } from './testing/gated-store.ts';

function context(dir: string, sent: ProducerRecord[], logStart = 0n): FlushContext {
  const dlq: KafkaProducer = {
    connect: async () => {},
    disconnect: async () => {},
    send: async (_topic, records) => {
      for (const r of records) {
        if ('topic' in r) throw new Error('the sink sends records, not prebuilt messages');
        sent.push(r);
      }
      return [];
    },
  };
  return {
    topic: 't',
    dlqTopic: 't-dlq',
    writer: 'test',
    tmpDir: mkdtempSync(join(tmpdir(), 'loglake-flush-')),
    store: createLocalStore(dir),
    encoder: textEncoder((line) => line.includes('refuse-me')),
    dlqProducer: dlq,
    retry: (fn) => fn(),
    logStart: async () => logStart,
  };
}

const budget = new MemoryBudget(1 << 20);

function flush(
  first: bigint,
  lines: string[],
  options: { poison?: number; last?: bigint } = {},
): Flush {
  const b = new RangeBuffer(0, first);
  if (options.last !== undefined)
    b.fixEnd({ kind: 'intent', last: options.last, duplicates: new Set() });
  let o = first;
  for (const l of lines) b.add(o++, Date.parse('2026-11-26T10:00:00Z'), l, 1, 0, l.length);
  for (let i = 0; i < (options.poison ?? 0); i += 1)
    b.addPoison(o++, { code: 'INVALID_JSON_LINE', message: 'bad' }, 'raw', 0, 3);
  return new Flush(b.cut(), 'rows', budget.hold());
}

async function keys(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for await (const o of createLocalStore(dir).list(prefix)) out.push(o.key);
  return out;
}

const OBJECT = (first: string, last: string) =>
  `t/dt=2026-11-26/hour=10/t-p0-${first.padStart(20, '0')}-${last.padStart(20, '0')}.parquet`;

describe('runFlush', () => {
  it('records the intent, writes the objects and the dead letters', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loglake-lake-'));
    const sent: ProducerRecord[] = [];
    const out = await runFlush(context(dir, sent), flush(0n, ['a', 'b'], { poison: 1 }), null);
    expect(out).toMatchObject({
      status: 'durable',
      files: 1,
      rows: 2,
      deadLetters: 1,
      followedIntent: false,
      lostRows: 0,
    });
    expect(await keys(dir)).toEqual([
      '_loglake/intents/t/p0/00000000000000000000.json',
      OBJECT('0', '2'),
    ]);
    expect(JSON.parse(String(sent[0]?.value))).toMatchObject({
      stage: 'sink',
      code: 'INVALID_JSON_LINE',
      offset: '2',
    });
  });

  it('a replay of the same range follows the intent and leaves the existing object as it is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loglake-lake-'));
    const ctx = context(dir, []);
    await runFlush(ctx, flush(10n, ['a', 'b']), null);
    const again = await runFlush(ctx, flush(10n, ['a', 'b']), null);
    expect(again).toMatchObject({ status: 'durable', followedIntent: true, files: 0, rows: 2 });
    expect(await keys(dir, 't/')).toHaveLength(1);
  });

  it('a different cut from the same first offset is a conflict, and writes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loglake-lake-'));
    const ctx = context(dir, []);
    await runFlush(ctx, flush(10n, ['a', 'b', 'c']), null);
    const other = await runFlush(ctx, flush(10n, ['a']), null);
    expect(other.status).toBe('conflict');
    expect(await keys(dir, 't/')).toEqual([OBJECT('10', '12')]);
  });

  it('a freely cut range with fewer rows than the recorded same cut is read again, not written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loglake-lake-'));
    const ctx = context(dir, []);
    const first = flush(10n, ['a', 'b', 'c']);
    await ctx.store.put(
      '_loglake/intents/t/p0/00000000000000000010.json',
      Buffer.from(
        JSON.stringify({
          version: 1,
          topic: 't',
          partition: 0,
          first: '10',
          last: '12',
          files: [{ key: OBJECT('10', '12'), rows: 4 }],
          dead_letters: 0,
          created_at: '',
          writer: 'x',
        }),
      ),
      { ifAbsent: true },
    );
    expect((await runFlush(ctx, first, null)).status).toBe('conflict');
    expect(await keys(dir, 't/')).toEqual([]);
  });

  it('a replay that follows its intent but lost rows to retention never writes a shorter object', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loglake-lake-'));
    const ctx = context(dir, [], 12n);
    await ctx.store.put(
      '_loglake/intents/t/p0/00000000000000000010.json',
      Buffer.from(
        JSON.stringify({
          version: 1,
          topic: 't',
          partition: 0,
          first: '10',
          last: '13',
          files: [{ key: OBJECT('10', '13'), rows: 4 }],
          dead_letters: 0,
          created_at: '',
          writer: 'x',
        }),
      ),
      { ifAbsent: true },
    );
    // Offsets 10 and 11 are gone: the replay of 10..13 reads 12 and 13 only.
    const b = new RangeBuffer(0, 10n);
    b.fixEnd({ kind: 'intent', last: 13n, duplicates: new Set() });
    b.add(12n, Date.parse('2026-11-26T10:00:00Z'), 'c', 1, 0, 1);
    b.add(13n, Date.parse('2026-11-26T10:00:00Z'), 'd', 1, 0, 1);
    const replay = new Flush(b.cut(), 'intent', budget.hold());
    const out2 = await runFlush(ctx, replay, null);
    expect(out2).toMatchObject({ status: 'durable', files: 0, lostRows: 4 });
    expect(await keys(dir, 't/')).not.toContain(OBJECT('10', '13'));
    expect(await keys(dir, '_loglake/losses/')).toEqual([
      '_loglake/losses/t/p0/00000000000000000010.json',
    ]);
  });

  it('records the encoder refuses become dead letters; the intent counts what the object holds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loglake-lake-'));
    const sent: ProducerRecord[] = [];
    const ctx = context(dir, sent);
    const out = await runFlush(ctx, flush(0n, ['a', 'refuse-me', 'c', 'refuse-me too']), null);
    expect(out).toMatchObject({ status: 'durable', rows: 2, deadLetters: 2 });
    expect(await textLines(ctx.store, OBJECT('0', '3'))).toEqual(['a', 'c']);
    expect(sent.map((r) => (JSON.parse(String(r.value)) as { offset: string }).offset)).toEqual([
      '1',
      '3',
    ]);
  });

  it('waits for the previous range’s intent, and writes nothing when it was not ours', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loglake-lake-'));
    const ctx = context(dir, []);
    const previous = flush(0n, ['a']);
    const next = flush(1n, ['b']);
    const running = runFlush(ctx, next, previous);
    previous.settle(false);
    expect(await running).toEqual({ status: 'cancelled' });
    expect(await keys(dir)).toEqual([]);
  });
});
