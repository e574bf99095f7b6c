/**
 * Medians over the repetitions, each as a ratio to Kafka's own tools, as JSON and as a Markdown
 * table (the one docs/kafka-clients.md holds).
 */
import { perMillion, round } from '../proc-stats.ts';
import type { ClientRun, JavaPairRun } from './runner.ts';

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

export interface PathSummary {
  readonly records_per_s: number;
  readonly cpu_s_per_million: number;
  readonly peak_rss_mb: number;
  readonly latency_p50_ms?: number;
  readonly latency_p99_ms?: number;
  readonly broker_cpu_s_per_million?: number | null;
  /** Every repetition's records/s, to show the spread behind the median. */
  readonly records_per_s_runs: readonly number[];
}

/** How the produced topics look in the broker's log, and what the broker spent (medians). */
export interface WireSummary {
  readonly records_per_batch: number;
  /** Producer id/epochs per run (1 when the idempotent producer was never reset). */
  readonly producers_per_run: number;
  readonly sequence_breaks: number;
  readonly first_record_s?: number;
}

export interface ClientSummary {
  readonly client: string;
  readonly library: string;
  readonly producer_setup: string;
  readonly outstanding_sends: number;
  readonly valid_runs: number;
  readonly produce: PathSummary | null;
  readonly consume: PathSummary | null;
  readonly wire: WireSummary | null;
  /** Each metric ÷ the same metric of ProducerPerformance / ConsumerPerformance. */
  readonly ratio_to_java: {
    readonly produce: Partial<Record<keyof PathSummary, number>>;
    readonly consume: Partial<Record<keyof PathSummary, number>>;
  } | null;
}

const rate = (records: number, seconds: number) => Math.round(records / seconds);
const med = (xs: readonly number[], digits = 0) => round(median(xs), digits);

export function summariseClient(
  runs: readonly ClientRun[],
  records: number,
): Pick<ClientSummary, 'valid_runs' | 'produce' | 'consume' | 'wire'> {
  const ok = runs.filter((r) => r.failures.length === 0 && r.consume !== null);
  if (ok.length === 0) return { produce: null, consume: null, wire: null, valid_runs: 0 };
  const p = ok.map((r) => r.produce);
  const c = ok.flatMap((r) => (r.consume ? [r.consume] : []));
  const pRates = p.map((m) => rate(records, m.result.seconds));
  const cRates = c.map((m) => rate(records, m.result.seconds));
  const brokerPerM = (xs: readonly (number | null)[]) =>
    xs.every((x) => x !== null)
      ? med(
          xs.map((x) => perMillion(x ?? 0, records) ?? 0),
          1,
        )
      : null;
  return {
    valid_runs: ok.length,
    wire: {
      records_per_batch: med(
        ok.map((r) => r.log_batches.records_per_batch),
        1,
      ),
      producers_per_run: Math.max(...ok.map((r) => r.log_batches.producers.length)),
      sequence_breaks: Math.max(...ok.map((r) => r.log_batches.sequence_breaks)),
      first_record_s: med(
        c.map((m) => m.result.first_record_s),
        2,
      ),
    },
    produce: {
      records_per_s: med(pRates),
      cpu_s_per_million: med(
        p.map((m) => perMillion(m.result.cpu_s, records) ?? 0),
        2,
      ),
      peak_rss_mb: med(p.map((m) => m.result.peak_rss_mb)),
      latency_p50_ms: med(
        p.map((m) => m.result.send_latency_ms.p50),
        2,
      ),
      latency_p99_ms: med(
        p.map((m) => m.result.send_latency_ms.p99),
        2,
      ),
      broker_cpu_s_per_million: brokerPerM(p.map((m) => m.broker_cpu_s)),
      records_per_s_runs: pRates,
    },
    consume: {
      records_per_s: med(cRates),
      cpu_s_per_million: med(
        c.map((m) => perMillion(m.result.cpu_s, records) ?? 0),
        2,
      ),
      peak_rss_mb: med(c.map((m) => m.result.peak_rss_mb)),
      broker_cpu_s_per_million: brokerPerM(c.map((m) => m.broker_cpu_s)),
      records_per_s_runs: cRates,
    },
  };
}

/**
 * ProducerPerformance / ConsumerPerformance medians. CPU is the JVM's from start to exit minus that
 * of the same tool run for one record (`baseline`): JVM start, class loading, connect and close.
 */
export function summariseJava(
  runs: readonly JavaPairRun[],
  baseline: JavaPairRun,
  records: number,
): { produce: PathSummary; consume: PathSummary } | null {
  const ok = runs.filter((r) => r.failures.length === 0 && r.consumer !== null);
  if (ok.length === 0) return null;
  const netPerM = (cpu: number, base: number) => perMillion(Math.max(0, cpu - base), records) ?? 0;
  const pBase = baseline.producer.run.cpu_s;
  const cBase = baseline.consumer?.run.cpu_s ?? 0;
  const consumers = ok.flatMap((r) => (r.consumer ? [r.consumer] : []));
  return {
    produce: {
      records_per_s: med(ok.map((r) => r.producer.records_per_s)),
      cpu_s_per_million: med(
        ok.map((r) => netPerM(r.producer.run.cpu_s, pBase)),
        2,
      ),
      peak_rss_mb: med(ok.map((r) => r.producer.run.peak_rss_mb)),
      latency_p50_ms: med(
        ok.map((r) => r.producer.latency_ms.p50),
        2,
      ),
      latency_p99_ms: med(
        ok.map((r) => r.producer.latency_ms.p99),
        2,
      ),
      records_per_s_runs: ok.map((r) => r.producer.records_per_s),
    },
    consume: {
      records_per_s: med(consumers.map((c) => c.records_per_s)),
      cpu_s_per_million: med(
        consumers.map((c) => netPerM(c.run.cpu_s, cBase)),
        2,
      ),
      peak_rss_mb: med(consumers.map((c) => c.run.peak_rss_mb)),
      records_per_s_runs: consumers.map((c) => c.records_per_s),
    },
  };
}

export function ratios(
  mine: PathSummary,
  java: PathSummary,
): Partial<Record<keyof PathSummary, number>> {
  const out: Partial<Record<keyof PathSummary, number>> = {};
  for (const k of [
    'records_per_s',
    'cpu_s_per_million',
    'peak_rss_mb',
    'latency_p50_ms',
    'latency_p99_ms',
  ] as const) {
    const a = mine[k];
    const b = java[k];
    if (typeof a === 'number' && typeof b === 'number' && b > 0) out[k] = round(a / b, 2);
  }
  return out;
}

const n = (x: number | null | undefined, digits = 0): string =>
  x === null || x === undefined || Number.isNaN(x)
    ? '–'
    : x.toLocaleString('en-US', { maximumFractionDigits: digits });
const r = (x: number | undefined) => (x === undefined ? '' : ` (${n(x, 2)})`);

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) =>
    Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function renderTable(
  clients: readonly ClientSummary[],
  java: { produce: PathSummary; consume: PathSummary } | null,
): string {
  const head = [
    'client',
    'produce records/s',
    'produce CPU-s/M',
    'produce peak RSS MB',
    'send p50 / p99 ms',
    'consume records/s',
    'consume CPU-s/M',
    'consume peak RSS MB',
  ];
  const rows = clients.map((c) => {
    const p = c.produce;
    const q = c.consume;
    const rp = c.ratio_to_java?.produce ?? {};
    const rc = c.ratio_to_java?.consume ?? {};
    if (!p || !q) return [c.library, 'no valid run', '', '', '', '', '', ''];
    return [
      c.library,
      `${n(p.records_per_s)}${r(rp.records_per_s)}`,
      `${n(p.cpu_s_per_million, 2)}${r(rp.cpu_s_per_million)}`,
      `${n(p.peak_rss_mb)}${r(rp.peak_rss_mb)}`,
      `${n(p.latency_p50_ms, 1)} / ${n(p.latency_p99_ms, 1)}${rp.latency_p50_ms === undefined ? '' : ` (${n(rp.latency_p50_ms, 2)} / ${n(rp.latency_p99_ms, 2)})`}`,
      `${n(q.records_per_s)}${r(rc.records_per_s)}`,
      `${n(q.cpu_s_per_million, 2)}${r(rc.cpu_s_per_million)}`,
      `${n(q.peak_rss_mb)}${r(rc.peak_rss_mb)}`,
    ];
  });
  if (java) {
    rows.push([
      'Kafka ProducerPerformance / ConsumerPerformance (Java)',
      n(java.produce.records_per_s),
      n(java.produce.cpu_s_per_million, 2),
      n(java.produce.peak_rss_mb),
      `${n(java.produce.latency_p50_ms, 1)} / ${n(java.produce.latency_p99_ms, 1)} (per record)`,
      n(java.consume.records_per_s),
      n(java.consume.cpu_s_per_million, 2),
      n(java.consume.peak_rss_mb),
    ]);
  }
  return table(head, rows);
}

/** The second table: batches on the wire, producer resets, the broker's CPU, time to the first record. */
export function renderDetails(
  clients: readonly ClientSummary[],
  javaRuns: readonly JavaPairRun[],
): string {
  const rows = clients.map((c) => [
    c.library,
    c.producer_setup,
    String(c.outstanding_sends),
    n(c.wire?.records_per_batch, 1),
    c.wire ? `${c.wire.producers_per_run} / ${c.wire.sequence_breaks}` : '–',
    `${n(c.produce?.broker_cpu_s_per_million, 1)} / ${n(c.consume?.broker_cpu_s_per_million, 1)}`,
    n(c.wire?.first_record_s, 2),
  ]);
  const ok = javaRuns.filter((r) => r.failures.length === 0);
  if (ok.length > 0)
    rows.push([
      'Kafka ProducerPerformance / ConsumerPerformance (Java)',
      'acks=all, enable.idempotence=true, defaults (max.in.flight 5, linger.ms 5, batch.size 16 KiB)',
      '–',
      n(median(ok.map((r) => r.log_batches.records_per_batch)), 1),
      `${Math.max(...ok.map((r) => r.log_batches.producers.length))} / ${Math.max(...ok.map((r) => r.log_batches.sequence_breaks))}`,
      '–',
      n(median(ok.flatMap((r) => (r.consumer ? [r.consumer.rebalance_ms / 1000] : []))), 2),
    ]);
  return table(
    [
      'client',
      'producer setup',
      'sends outstanding',
      'records per batch in the log',
      'producer ids per run / sequence breaks',
      'broker CPU-s/M produce / consume',
      'consume: s to first record (Java: group join)',
    ],
    rows,
  );
}

/**
 * JSON as `prettier --check` wants it (the repository's format check covers bench/results): two-space
 * indentation, and an array of plain values on one line when that line fits in 100 columns.
 */
export function toJson(value: unknown): string {
  const text = JSON.stringify(value, null, 2);
  return text.replace(
    /^(.*)\[\n((?:[ ]*(?:-?\d[\d.eE+-]*|"(?:[^"\\\n]|\\.)*"|true|false|null),?\n)+)[ ]*\](,?)$/gm,
    (whole: string, head: string, body: string, comma: string) => {
      const items = body
        .split('\n')
        .map((l) => l.trim().replace(/,$/, ''))
        .filter((l) => l !== '');
      const line = `${head}[${items.join(', ')}]${comma}`;
      return line.length <= 100 ? line : whole;
    },
  );
}
