import { describe, expect, it } from 'vitest';
import { bucketOf, dataKey, intentKey } from './layout.ts';
import type { NdjsonRows } from './ndjson-rows.ts';
import { RangeBuffer } from './range-buffer.ts';

const at = (iso: string) => Date.parse(iso);

/** A bucket's rows as their lines and offsets. */
const view = (rows: NdjsonRows) => ({
  lines: Array.from({ length: rows.rows }, (_, i) => rows.line(i).toString('utf8')),
  offsets: Array.from({ length: rows.rows }, (_, i) => rows.offsetAt(i)),
});

describe('layout', () => {
  it('buckets by event time in UTC', () => {
    expect(bucketOf(at('2026-11-26T23:59:59.999Z'))).toBe('dt=2026-11-26/hour=23');
    expect(bucketOf(at('2026-11-27T00:00:00.000+01:00'))).toBe('dt=2026-11-26/hour=23');
  });

  it('names objects and intents by zero-padded offsets so that they sort', () => {
    expect(dataKey('log-data', 3, 5n, 120n, 'dt=2026-11-26/hour=01')).toBe(
      'log-data/dt=2026-11-26/hour=01/log-data-p3-00000000000000000005-00000000000000000120.parquet',
    );
    expect(intentKey('log-data', 3, 5n) < intentKey('log-data', 3, 40n)).toBe(true);
  });
});

describe('RangeBuffer', () => {
  it('groups lines by bucket in offset order and starts the next range after the last offset', () => {
    const b = new RangeBuffer(0, 100n);
    b.add(100n, at('2026-11-26T10:00:00Z'), 'a', 1, 0, 1);
    b.add(101n, at('2026-11-26T11:00:00Z'), 'b', 2, 0, 1);
    b.add(105n, at('2026-11-26T10:30:00Z'), 'c', 3, 0, 1); // a hole at 102-104
    const r = b.cut();
    expect(r.first).toBe(100n);
    expect(r.last).toBe(105n);
    expect([...r.buckets].map(([bucket, rows]) => [bucket, view(rows)])).toEqual([
      ['dt=2026-11-26/hour=10', { lines: ['a', 'c'], offsets: [100n, 105n] }],
      ['dt=2026-11-26/hour=11', { lines: ['b'], offsets: [101n] }],
    ]);
    expect(r.bytes).toBe(3);
    expect(r.oldestReceivedAt).toBe(1);
    expect(b.first).toBe(106n);
    expect(b.isEmpty).toBe(true);
  });

  it('ends a forced range where the intent says, even past the last record seen', () => {
    const b = new RangeBuffer(1, 0n);
    b.fixEnd({ kind: 'intent', last: 9n, duplicates: new Set() });
    b.add(0n, 0, 'x', null, 0, 1);
    expect(() => b.fixEnd({ kind: 'intent', last: 3n, duplicates: new Set() })).toThrow();
    const r = b.cut();
    expect(r.last).toBe(9n);
    expect(r.followsIntent).toBe(true);
    expect(b.first).toBe(10n);
    expect(b.forcedLast).toBeNull();
  });

  it('keeps poison records in the range, so that their offsets are covered by its commit', () => {
    const b = new RangeBuffer(2, 7n);
    b.addPoison(7n, { code: 'INVALID_JSON_LINE', message: 'x' }, 'garbage', 0, 7);
    const r = b.cut();
    expect(r.rows).toBe(0);
    expect(r.poison.map((p) => p.offset)).toEqual([7n]);
    expect(r.last).toBe(7n);
    expect(r.bytes).toBe(7);
  });

  it('cuts a recorded range whose records are all gone: empty, ending where the intent says', () => {
    const b = new RangeBuffer(0, 20n);
    b.fixEnd({ kind: 'intent', last: 29n, duplicates: new Set() });
    const r = b.cut();
    expect(r).toMatchObject({ first: 20n, last: 29n, rows: 0, followsIntent: true });
    expect(b.first).toBe(30n);
  });
});
