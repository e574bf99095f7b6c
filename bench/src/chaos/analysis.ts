/**
 * When verify reports missing or duplicated events: where did they go wrong? Counts each sequence
 * number of the run in Kafka (the whole topic, read from the start) and in the lake (versitygw keeps
 * objects as plain files, read in place with DuckDB), and sorts the differences:
 * - acknowledged but never in Kafka: the gateway answered 2xx for an event Kafka does not hold (when
 *   the load was stopped, which events were acknowledged is unknown: then these are requests that
 *   were in flight or retrying);
 * - in Kafka more than once, stamped by different requests (`received_at` differs): the client
 *   retried a request whose answer was lost (a gateway killed after producing, or a Kafka time-out
 *   answered 503 that was written after all); the copies share the client's `event_id`, and the
 *   sink drops all but the first within its dedup window;
 * - in Kafka more than once from one request (same `received_at`): the gateway's producer wrote one
 *   record twice (its idempotence did not hold);
 * - in the lake more than once but no more often than in Kafka: copies the sink's dedup window kept;
 * - lake rows beyond Kafka's records: the sink wrote one record twice (exactly once broken);
 * - in Kafka, not in the lake: the sink lost it.
 */
import { basename, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { createKafkaAdmin, createKafkaConsumer, type KafkaClientConfig } from '@loglake/kafka';

export interface Classification {
  readonly expected: number;
  readonly kafka_records: number;
  /**
   * Seqs of verify's expected set (1..acknowledged; without a summary, 1..the largest found) that are
   * in neither Kafka nor the lake: acknowledged but never written when the summary is known.
   */
  readonly expected_not_in_kafka: number;
  readonly duplicated_in_kafka: number;
  /** Of those: the same event id twice (the gateway's producer) or different ids (client retries). */
  readonly duplicated_by_gateway_producer: number;
  readonly duplicated_by_client_retry: number;
  readonly duplicated_by_sink: number;
  /** Copies in the lake beyond the first that Kafka holds as often: resends the dedup window kept. */
  readonly resends_kept_by_sink: number;
  /** Events in Kafka and nowhere in the lake. */
  readonly lost_by_sink: number;
  /** A few sequence numbers of each kind, and the rows the lake holds for some of them. */
  readonly examples: Record<string, number[]>;
  readonly rows: Record<string, unknown>[];
}

function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

interface KafkaCounts {
  /** Occurrences of each seq 1..max (saturating at 255). */
  readonly counts: Uint8Array;
  readonly records: number;
  /** Repeated occurrences of a seq from a request already seen for it (a hash of its `received_at`). */
  readonly sameId: number;
  readonly sameIdSeqs: number[];
}

/** Counts each seq 1..max of `runId` in `topic`, read from the start up to the end offsets of now. */
async function countInKafka(
  kafka: KafkaClientConfig,
  topic: string,
  runId: string,
  max: number,
): Promise<KafkaCounts> {
  const admin = createKafkaAdmin(kafka);
  await admin.connect();
  const ends = new Map((await admin.topicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
  await admin.disconnect();
  const counts = new Uint8Array(max + 1);
  const firstId = new Uint32Array(max + 1);
  const idsOf = new Map<number, Set<number>>();
  let records = 0;
  let sameId = 0;
  const sameIdSeqs: number[] = [];
  const pending = new Set([...ends].filter(([, high]) => high > 0n).map(([p]) => p));
  if (pending.size === 0) return { counts, records, sameId, sameIdSeqs };
  const consumer = createKafkaConsumer(kafka, {
    groupId: `${topic}-chaos-scan-${Date.now()}`,
    maxBytesPerPartition: 8 << 20,
  });
  await consumer.connect();
  await consumer.subscribe(topic, { fromBeginning: true });
  try {
    await new Promise<void>((resolve, reject) => {
      let watchdog = setTimeout(stalled, 60_000);
      function stalled() {
        reject(new Error(`Kafka scan: no progress for 60 s after ${records} records`));
      }
      consumer.onCrash((e, willRestart) => {
        if (!willRestart) reject(e instanceof Error ? e : new Error(String(e)));
      });
      consumer
        .run(async (batch, controls) => {
          clearTimeout(watchdog);
          watchdog = setTimeout(stalled, 60_000);
          for (const r of batch.records) {
            controls.resolveOffset(r.offset);
            const v = JSON.parse(r.value?.toString('utf8') ?? '{}') as {
              received_at?: number;
              extra?: { run_id?: string; seq?: number };
            };
            if (v.extra?.run_id !== runId) continue;
            records += 1;
            const seq = v.extra.seq ?? 0;
            if (seq < 1 || seq > max) continue;
            const id = hash32(String(v.received_at ?? ''));
            const seen = counts[seq] ?? 0;
            counts[seq] = Math.min(255, seen + 1);
            if (seen === 0) {
              firstId[seq] = id;
              continue;
            }
            const ids = idsOf.get(seq) ?? new Set([firstId[seq] ?? 0]);
            idsOf.set(seq, ids);
            if (ids.has(id)) {
              sameId += 1;
              if (sameIdSeqs.length < 20) sameIdSeqs.push(seq);
            } else ids.add(id);
          }
          const last = batch.records.at(-1);
          if (last && BigInt(last.offset) + 1n >= (ends.get(batch.partition) ?? 0n))
            pending.delete(batch.partition);
          if (pending.size === 0) {
            clearTimeout(watchdog);
            resolve();
          }
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return { counts, records, sameId, sameIdSeqs };
}

interface Totals {
  notInKafka: number;
  dupKafka: number;
  dupSink: number;
  keptSink: number;
  lostSink: number;
}

/** Compares Kafka's count of each seq with the lake's; returns the totals and a few examples. */
function compare(
  counts: Uint8Array,
  expected: number,
  dups: ReadonlyMap<number, number>,
  missing: ReadonlySet<number>,
) {
  const lakeCount = (s: number) => dups.get(s) ?? (missing.has(s) ? 0 : 1);
  const seqs = new Set<number>([...dups.keys(), ...missing]);
  for (let s = 1; s <= expected; s += 1) if (counts[s] !== 1) seqs.add(s);
  const examples: Record<string, number[]> = {
    expected_not_in_kafka: [],
    duplicated_in_kafka: [],
    duplicated_by_sink: [],
    resends_kept_by_sink: [],
    lost_by_sink: [],
  };
  const totals: Totals = { notInKafka: 0, dupKafka: 0, dupSink: 0, keptSink: 0, lostSink: 0 };
  const note = (kind: string, s: number) => {
    const list = examples[kind] ?? [];
    if (list.length < 20) list.push(s);
  };
  for (const s of [...seqs].sort((a, b) => a - b)) {
    const k = counts[s] ?? 0;
    const l = lakeCount(s);
    if (k === 0) {
      totals.notInKafka += 1;
      note('expected_not_in_kafka', s);
    }
    if (k > 1) {
      totals.dupKafka += k - 1;
      note('duplicated_in_kafka', s);
    }
    if (l > k) {
      totals.dupSink += l - k;
      note('duplicated_by_sink', s);
    }
    if (l > 1 && Math.min(l, k) > 1) {
      totals.keptSink += Math.min(l, k) - 1;
      note('resends_kept_by_sink', s);
    }
    if (l === 0 && k > 0) {
      totals.lostSink += 1;
      note('lost_by_sink', s);
    }
  }
  return { totals, examples };
}

export async function classify(options: {
  readonly kafka: KafkaClientConfig;
  readonly topic: string;
  readonly runId: string;
  readonly expected: number;
  /** The folder versitygw keeps the lake's prefix in. */
  readonly lakeDir: string;
}): Promise<Classification> {
  const { expected } = options;
  const kafka = await countInKafka(options.kafka, options.topic, options.runId, expected);
  const glob = join(options.lakeDir, options.topic, '**', '*.parquet');
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const q = async (sql: string) => (await c.runAndReadAll(sql)).getRowObjectsJson();
  try {
    await c.run(
      `CREATE TABLE run AS SELECT CAST(json_extract(extra, '$.seq') AS BIGINT) AS seq, event_id, received_at, filename
       FROM read_parquet('${glob.replaceAll("'", "''")}', filename = true)
       WHERE json_extract_string(extra, '$.run_id') = '${options.runId.replaceAll("'", "''")}'`,
    );
    const dups = new Map<number, number>();
    for (const r of await q(`SELECT seq, count(*)::BIGINT n FROM run GROUP BY seq HAVING n > 1`))
      dups.set(Number(r.seq), Number(r.n));
    const missing = new Set<number>();
    for (const r of await q(
      `SELECT s FROM range(1, ${expected + 1}) t(s) WHERE s NOT IN (SELECT seq FROM run) LIMIT 100000`,
    ))
      missing.add(Number(r.s));
    const { totals, examples } = compare(kafka.counts, expected, dups, missing);
    examples.duplicated_by_gateway_producer = kafka.sameIdSeqs;
    const bySink = [...(examples.duplicated_by_sink ?? []), ...(examples.lost_by_sink ?? [])];
    const shown = [...bySink, ...kafka.sameIdSeqs.slice(0, 3)];
    if (shown.length === 0) shown.push(...(examples.duplicated_in_kafka ?? []).slice(0, 3));
    const rows =
      shown.length === 0
        ? []
        : (
            await q(
              `SELECT seq, event_id, received_at::VARCHAR received_at, filename FROM run WHERE seq IN (${shown.slice(0, 10).join(',')}) ORDER BY seq, received_at`,
            )
          ).map((r) => ({ ...r, filename: basename(String(r.filename)) }));
    return {
      expected,
      kafka_records: kafka.records,
      expected_not_in_kafka: totals.notInKafka,
      duplicated_in_kafka: totals.dupKafka,
      duplicated_by_gateway_producer: kafka.sameId,
      duplicated_by_client_retry: totals.dupKafka - kafka.sameId,
      duplicated_by_sink: totals.dupSink,
      resends_kept_by_sink: totals.keptSink,
      lost_by_sink: totals.lostSink,
      examples,
      rows,
    };
  } finally {
    c.closeSync();
    db.closeSync();
  }
}
