import { describe, expect, it } from 'vitest';
import type { ObjectStore } from '@loglake/object-store';
import { auditLake } from './audit.ts';
import { H0, H1, kinds, T, useAuditLakes } from './audit-test-lake.ts';
import { dataKey, intentKey } from './layout.ts';
import { withLocalCopies } from './local-copies.ts';

const { newLake, putParquet, flush } = useAuditLakes();

describe('auditLake: the objects', () => {
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

  it('reads the footers of objects already copied from their copies, downloading only the others', async () => {
    const store = newLake();
    const [short] = await flush(store, { first: 0, last: 9, buckets: { [H0]: 5 }, skip: [H0] });
    await putParquet(store, short as string, 4);
    const [other] = await flush(store, { first: 10, last: 19, buckets: { [H1]: 10 } });
    const downloaded: string[] = [];
    const counting: ObjectStore = {
      ...store,
      get: (key) => {
        if (key.endsWith('.parquet')) downloaded.push(key);
        return store.get(key);
      },
    };

    const report = await withLocalCopies(store, [`${T}/${H0}/`], (copies) =>
      auditLake(counting, { topic: T, localCopies: copies.files }),
    );

    expect(downloaded).toEqual([other]);
    expect(report.findings).toEqual([
      expect.objectContaining({ kind: 'row_count_mismatch', key: short, rows: 4 }),
    ]);
    expect(report.totals.objects_read).toBe(2);
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
});
