import { describe, expect, it } from 'vitest';
import type { ObjectStore } from '@loglake/object-store';
import { auditLake } from './audit.ts';
import { committed, H0, H1, now, pad, T, useAuditLakes } from './audit-test-lake.ts';
import { dataKey, intentKey } from './layout.ts';

const { newLake, flush } = useAuditLakes();

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
