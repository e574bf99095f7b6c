import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalStore, type ObjectStore } from '@loglake/object-store';
import { auditLake, type AuditFinding } from './audit.ts';
import { createDuckDbEncoder } from './duckdb-encoder.ts';
import type { ParquetEncoder } from './encoder.ts';
import { writeIntent } from './intent.ts';
import { dataKey, intentKey } from './layout.ts';

const T = 't';
const H0 = 'dt=2026-11-18/hour=00';
const H1 = 'dt=2026-11-18/hour=01';
const now = Date.parse('2026-11-18T00:30:00Z');
const pad = (n: number) => String(n).padStart(20, '0');

let encoder: ParquetEncoder;
const dirs: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};
const tmp = tempDir('loglake-audit-test-');
beforeAll(async () => {
  encoder = await createDuckDbEncoder({ codec: 'zstd', threads: 1, memoryLimitMb: 128 });
});
afterAll(async () => {
  await encoder.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const newLake = () => createLocalStore(tempDir('loglake-audit-lake-'));

let files = 0;
async function putParquet(store: ObjectStore, key: string, rows: number): Promise<void> {
  const path = join(tmp, `${(files += 1)}.parquet`);
  const lines = Array.from({ length: rows }, (_, i) =>
    JSON.stringify({
      event_id: `e${i}`,
      event_type: 'x',
      ts: now,
      received_at: now,
      source: 's',
      extra: {},
    }),
  );
  await encoder.encode(lines, path);
  await store.putFile(key, path);
}

interface FlushSpec {
  readonly p?: number;
  readonly first: number;
  readonly last: number;
  /** Rows per bucket, as the intent records them. */
  readonly buckets: Readonly<Record<string, number>>;
  /** Buckets whose object is not written. */
  readonly skip?: readonly string[];
  readonly deadLetters?: number;
}

/** What the sink does for one range: a real intent, then one real Parquet object per bucket. */
async function flush(store: ObjectStore, s: FlushSpec): Promise<string[]> {
  const p = s.p ?? 0;
  const files = Object.entries(s.buckets).map(([bucket, rows]) => ({
    bucket,
    key: dataKey(T, p, BigInt(s.first), BigInt(s.last), bucket),
    rows,
  }));
  await writeIntent(store, {
    version: 1,
    topic: T,
    partition: p,
    first: String(s.first),
    last: String(s.last),
    files: files.map(({ key, rows }) => ({ key, rows })),
    dead_letters: s.deadLetters ?? 0,
    created_at: new Date(now).toISOString(),
    writer: 'test',
  });
  for (const f of files) if (!s.skip?.includes(f.bucket)) await putParquet(store, f.key, f.rows);
  return files.map((f) => f.key);
}

const committed = (entries: Record<number, number>) =>
  new Map(Object.entries(entries).map(([p, c]) => [Number(p), BigInt(c)]));
const kinds = (findings: readonly AuditFinding[]) => findings.map((f) => f.kind);

describe('auditLake', () => {
  it('passes a healthy lake: chains reach the committed offsets, every object is there with its rows', async () => {
    const store = newLake();
    await flush(store, { first: 0, last: 9, buckets: { [H0]: 6, [H1]: 3 }, deadLetters: 1 });
    await flush(store, { first: 10, last: 19, buckets: { [H1]: 10 } });
    await flush(store, { p: 1, first: 0, last: 4, buckets: { [H0]: 5 } });

    const report = await auditLake(store, { topic: T, committed: committed({ 0: 20, 1: 5 }) });

    expect(report.findings).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.partitions).toEqual([
      {
        partition: 0,
        intents: 2,
        first: '0',
        head: '20',
        committed: '20',
        objects: 3,
        rows: 19,
        dead_letters: 1,
        pending: 0,
        pending_objects: 0,
        lost_rows: 0,
      },
      {
        partition: 1,
        intents: 1,
        first: '0',
        head: '5',
        committed: '5',
        objects: 1,
        rows: 5,
        dead_letters: 0,
        pending: 0,
        pending_objects: 0,
        lost_rows: 0,
      },
    ]);
    expect(report.totals).toMatchObject({
      partitions: 2,
      intents: 3,
      objects: 4,
      rows: 24,
      objects_read: 4,
      findings: 0,
    });
    // JSON-serialisable as it is: no bigints, nothing lost on the way.
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('reports every gap and every overlap between intents, and objects whose names overlap, with offsets', async () => {
    const store = newLake();
    await flush(store, { first: 0, last: 9, buckets: { [H0]: 10 } });
    await flush(store, { first: 15, last: 19, buckets: { [H0]: 5 } }); // 10..14: nobody
    await flush(store, { first: 18, last: 25, buckets: { [H0]: 8 } }); // 18..19 twice
    await flush(store, { first: 40, last: 41, buckets: { [H0]: 2 } }); // 26..39: nobody

    const report = await auditLake(store, { topic: T });

    expect(report.ok).toBe(false);
    const at = report.findings.map((f) => [f.kind, f.first, f.last]);
    expect(at).toEqual([
      ['gap', '10', '14'],
      ['overlap', '18', '19'],
      ['overlap', '18', '19'],
      ['gap', '26', '39'],
    ]);
    expect(report.findings.filter((f) => f.kind === 'overlap').map((f) => f.detail)).toEqual([
      expect.stringMatching(/^intent 15\.\.19 and intent 18\.\.25/),
      expect.stringMatching(/^objects of ranges 15\.\.19 and 18\.\.25/),
    ]);
    expect(report.partitions[0]).toMatchObject({ first: '0', head: '42', intents: 4 });
  });

  describe('the committed offset', () => {
    // 0..9 written; 10..19 recorded, its object not (yet) written.
    async function lake() {
      const store = newLake();
      await flush(store, { first: 0, last: 9, buckets: { [H0]: 10 } });
      await flush(store, { first: 10, last: 19, buckets: { [H0]: 10 }, skip: [H0] });
      return store;
    }

    it('at the end of a range: the ranges beyond it are in flight, their missing objects pending', async () => {
      const report = await auditLake(await lake(), { topic: T, committed: committed({ 0: 10 }) });
      expect(report.findings).toEqual([]);
      expect(report.partitions[0]).toMatchObject({
        committed: '10',
        head: '20',
        pending: 1,
        pending_objects: 1,
      });
    });

    it('at or before the first intent: nothing committed yet, everything pending', async () => {
      const report = await auditLake(await lake(), { topic: T, committed: committed({ 0: 0 }) });
      expect(report.findings).toEqual([]);
      expect(report.partitions[0]).toMatchObject({ pending: 2, pending_objects: 1 });
      const none = await auditLake(await lake(), { topic: T, committed: committed({ 0: -1 }) });
      expect(none.findings).toEqual([]);
      expect(none.partitions[0]).toMatchObject({ committed: null, pending: 2 });
    });

    it('beyond the chain: the offsets committed without an intent are a finding', async () => {
      const report = await auditLake(await lake(), { topic: T, committed: committed({ 0: 25 }) });
      expect(report.findings.map((f) => [f.kind, f.first, f.last])).toEqual([
        ['missing_object', '10', '19'],
        ['committed_beyond_chain', '20', '24'],
      ]);
      const bare = await auditLake(newLake(), { topic: T, committed: committed({ 3: 7 }) });
      expect(bare.findings).toEqual([
        expect.objectContaining({
          kind: 'committed_beyond_chain',
          partition: 3,
          first: '0',
          last: '6',
        }),
      ]);
    });

    it('inside a range: off the chain, and the range is no longer in flight', async () => {
      const report = await auditLake(await lake(), { topic: T, committed: committed({ 0: 15 }) });
      expect(kinds(report.findings)).toEqual(['missing_object', 'committed_off_boundary']);
      expect(report.findings[1]?.detail).toMatch(/inside the range of intent 10\.\.19/);
    });

    it('unknown (no Kafka): every object an intent names must be there', async () => {
      const report = await auditLake(await lake(), { topic: T });
      expect(report.findings).toEqual([
        expect.objectContaining({ kind: 'missing_object', first: '10', rows: 10 }),
      ]);
      expect(report.partitions[0]).toMatchObject({ committed: null, pending: 0 });
    });
  });

  it('tells a missing object below the committed offset from one in flight and from a recorded loss', async () => {
    const store = newLake();
    const [lostBefore] = await flush(store, {
      first: 0,
      last: 9,
      buckets: { [H0]: 10 },
      skip: [H0],
    });
    const [, gone] = await flush(store, {
      first: 10,
      last: 19,
      buckets: { [H0]: 4, [H1]: 6 },
      skip: [H1],
    });
    await flush(store, { first: 20, last: 29, buckets: { [H0]: 10 }, skip: [H0] });
    await store.put(
      `_loglake/losses/${T}/p0/${pad(10)}.json`,
      Buffer.from(
        JSON.stringify({
          version: 1,
          topic: T,
          partition: 0,
          first: '10',
          last: '19',
          files: [
            { key: gone, rows_expected: 6, rows_read: 2 },
            // Read again into a bucket the intent did not record: never written either.
            {
              key: dataKey(T, 0, 10n, 19n, 'dt=2026-11-18/hour=02'),
              rows_expected: 0,
              rows_read: 3,
            },
          ],
          lost_rows: 9,
          reason: 'retention',
          created_at: new Date(now).toISOString(),
          writer: 'test',
        }),
      ),
    );

    const report = await auditLake(store, { topic: T, committed: committed({ 0: 20 }) });

    expect(report.findings).toEqual([
      expect.objectContaining({
        kind: 'missing_object',
        key: lostBefore,
        first: '0',
        last: '9',
        rows: 10,
      }),
      expect.objectContaining({
        kind: 'recorded_loss',
        key: gone,
        first: '10',
        last: '19',
        rows: 6,
      }),
      expect.objectContaining({
        kind: 'recorded_loss',
        key: expect.stringContaining('hour=02'),
        first: '10',
        last: '19',
        rows: 3,
      }),
    ]);
    expect(report.partitions[0]).toMatchObject({
      objects: 1,
      rows: 4,
      pending: 1,
      pending_objects: 1,
      lost_rows: 9,
    });
    expect(report.ok).toBe(false);
  });

  it("compares each object's rows with its intent (from the Parquet footer), within rowsUnder, unless told not to", async () => {
    const store = newLake();
    const [short] = await flush(store, { first: 0, last: 9, buckets: { [H0]: 5 }, skip: [H0] });
    await putParquet(store, short as string, 4);
    const [broken] = await flush(store, { first: 10, last: 19, buckets: { [H1]: 10 }, skip: [H1] });
    await store.put(
      broken as string,
      Buffer.from('not parquet at all, but long enough to look at'),
    );

    const report = await auditLake(store, { topic: T });
    expect(report.findings).toEqual([
      expect.objectContaining({
        kind: 'row_count_mismatch',
        key: short,
        rows: 4,
        detail: '4 rows in the object, 5 in its intent',
      }),
      expect.objectContaining({ kind: 'unreadable_object', key: broken }),
    ]);
    expect(report.totals.objects_read).toBe(2);

    const h1Only = await auditLake(store, { topic: T, rowsUnder: [`${T}/${H1}/`] });
    expect(kinds(h1Only.findings)).toEqual(['unreadable_object']);
    const noRows = await auditLake(store, { topic: T, rows: false });
    expect(noRows.findings).toEqual([]);
    expect(noRows.totals.objects_read).toBe(0);
  });

  it('finds objects no intent names, and intents that name objects of another range', async () => {
    const store = newLake();
    await flush(store, { first: 0, last: 9, buckets: { [H0]: 10 } });
    const orphan = dataKey(T, 0, 30n, 39n, H0);
    await putParquet(store, orphan, 10);
    // p1's chain starts at 10: an object of 0..4 is from before it (an intent expired by a lifecycle rule?).
    await flush(store, { p: 1, first: 10, last: 19, buckets: { [H0]: 10 } });
    const old = dataKey(T, 1, 0n, 4n, H0);
    await putParquet(store, old, 5);
    const stray = `${T}/${H0}/copied-by-hand.parquet`;
    await putParquet(store, stray, 1);
    // An intent that names an object of another range (and that object is there).
    const wrong = dataKey(T, 0, 10n, 18n, H0);
    await store.put(
      intentKey(T, 0, 10n),
      Buffer.from(
        JSON.stringify({
          version: 1,
          topic: T,
          partition: 0,
          first: '10',
          last: '19',
          files: [{ key: wrong, rows: 9 }],
          dead_letters: 0,
          created_at: '',
          writer: 'x',
        }),
      ),
    );
    await putParquet(store, wrong, 9);

    const report = await auditLake(store, { topic: T });

    expect(report.findings).toEqual([
      expect.objectContaining({ kind: 'orphan_object', partition: null, key: stray }),
      expect.objectContaining({
        kind: 'name_mismatch',
        partition: 0,
        first: '10',
        last: '19',
        key: wrong,
      }),
      expect.objectContaining({
        kind: 'orphan_object',
        partition: 0,
        first: '30',
        last: '39',
        key: orphan,
      }),
      expect.objectContaining({
        kind: 'orphan_object',
        partition: 1,
        first: '0',
        last: '4',
        key: old,
      }),
    ]);
    expect(report.findings[1]?.detail).toMatch(/whose name says p0 10\.\.18/);
    expect(report.findings[2]?.detail).toBe('no intent names it (p0 30..39)');
    expect(report.findings[3]?.detail).toMatch(
      /lies before the earliest intent \(10\): intents expired\?$/,
    );
  });

  it('takes a loss record of a gap as a link of the chain: its offsets are lost, not a gap', async () => {
    const store = newLake();
    const gapLoss = (first: number, last: number, reason: string) =>
      store.put(
        `_loglake/losses/${T}/p0/${pad(first)}.json`,
        Buffer.from(
          JSON.stringify({
            version: 1,
            topic: T,
            partition: 0,
            first: String(first),
            last: String(last),
            files: [],
            lost_rows: last - first + 1,
            reason,
            created_at: '',
            writer: 'x',
          }),
        ),
      );
    await flush(store, { first: 0, last: 9, buckets: { [H0]: 10 } });
    await gapLoss(10, 19, 'retention'); // deleted from Kafka before the sink read them
    await flush(store, { first: 20, last: 29, buckets: { [H0]: 10 } });
    await gapLoss(30, 34, 'reset'); // the group's offset was moved to 35; nothing read there yet

    const report = await auditLake(store, { topic: T, committed: committed({ 0: 35 }) });

    expect(report.findings.map((f) => [f.kind, f.first, f.last, f.rows])).toEqual([
      ['recorded_loss', '10', '19', 10],
      ['recorded_loss', '30', '34', 5],
    ]);
    expect(report.partitions[0]).toMatchObject({
      intents: 2,
      first: '0',
      head: '35',
      committed: '35',
      lost_rows: 15,
      pending: 0,
    });
  });

  it('on a lake being written, a flush that lands between its listings is in flight, not an orphan', async () => {
    const store = newLake();
    await flush(store, { first: 0, last: 9, buckets: { [H0]: 10 } });
    // The sink flushes 10..19 (intent, then object) right after the auditor's first listing.
    let fired = false;
    const racing: ObjectStore = {
      ...store,
      list: (prefix) =>
        (async function* () {
          yield* store.list(prefix);
          if (fired) return;
          fired = true;
          await flush(store, { first: 10, last: 19, buckets: { [H0]: 10 } });
        })(),
    };

    const report = await auditLake(racing, { topic: T, committed: committed({ 0: 10 }) });

    expect(fired).toBe(true);
    expect(report.findings).toEqual([]);
    expect(report.partitions[0]).toMatchObject({ intents: 2, pending: 1, pending_objects: 1 });
  });

  it('reports records it cannot trust as findings, not exceptions', async () => {
    const store = newLake();
    await flush(store, { first: 0, last: 9, buckets: { [H0]: 10 } });
    await store.put(intentKey(T, 0, 10n), Buffer.from('{"version": 1, "topic": '));
    const moved = {
      version: 1,
      topic: T,
      partition: 1,
      first: '20',
      last: '29',
      files: [],
      dead_letters: 0,
      created_at: '',
      writer: 'x',
    };
    await store.put(intentKey(T, 0, 20n), Buffer.from(JSON.stringify(moved)));
    const tooMany = { ...moved, partition: 2, first: '0', last: '1', dead_letters: 3 };
    await store.put(intentKey(T, 2, 0n), Buffer.from(JSON.stringify(tooMany)));
    const loss = {
      version: 1,
      topic: T,
      partition: 0,
      first: '0',
      last: '9',
      files: [],
      lost_rows: 0,
      reason: 'bad luck',
    };
    await store.put(`_loglake/losses/${T}/p0/${pad(0)}.json`, Buffer.from(JSON.stringify(loss)));

    const report = await auditLake(store, { topic: T });

    expect(report.findings.map((f) => [f.kind, f.partition, f.detail])).toEqual([
      ['invalid_record', 0, expect.stringMatching(/^not JSON/)],
      ['invalid_record', 0, 'its key says p0 first 20, the record p1 first 20'],
      ['invalid_record', 0, 'files, lost_rows or reason missing or malformed'],
      ['invalid_record', 2, '0 rows and 3 dead letters in a range of 2 offsets'],
    ]);
    // The unreadable intents are left out of the chain; the readable one stays in.
    expect(report.partitions.map((p) => [p.partition, p.intents])).toEqual([
      [0, 1],
      [2, 1],
    ]);
  });
});
