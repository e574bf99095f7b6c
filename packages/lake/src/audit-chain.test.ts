import { describe, expect, it } from 'vitest';
import { auditLake } from './audit.ts';
import { committed, H0, kinds, pad, T, useAuditLakes } from './audit-test-lake.ts';

const { newLake, flush } = useAuditLakes();

describe('auditLake: the chain of each partition', () => {
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
});
