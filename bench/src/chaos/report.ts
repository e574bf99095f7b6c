/** The result of a chaos run: its JSON, the verdict, and the Markdown tables docs/reliability.md holds. */
import type { RunSummary } from '@loglake/traffic';
import type { Classification } from './analysis.ts';
import type { ScriptRun } from './checks.ts';
import type { FaultRecord } from './faults.ts';
import type { LoadRun } from './load.ts';

export interface ChaosResult {
  readonly chaos: 'loglake';
  readonly command: string;
  readonly seed: number;
  readonly started_at: string;
  readonly ended_at: string;
  readonly wall_s: number;
  readonly settings: Record<string, unknown>;
  readonly faults: readonly FaultRecord[];
  readonly faults_by_kind: Record<string, number>;
  readonly generator: RunSummary | null;
  /** Set when the watchdog stopped the load: nothing was acknowledged from `at_s` for `for_s` seconds. */
  readonly load_stalled: LoadRun['stalled'];
  readonly events_acknowledged: number | null;
  readonly found: number | null;
  readonly missing: number | null;
  readonly duplicated: number | null;
  readonly lake_check: {
    readonly command: string;
    readonly exit_code: number | null;
    readonly findings: number | null;
    readonly kinds: Record<string, number>;
    readonly first_findings: unknown[];
    readonly totals: unknown;
  } | null;
  readonly verify: {
    readonly command: string;
    readonly exit_code: number | null;
    readonly report: unknown;
  } | null;
  /** Where missing or duplicated events came from (only when verify reports any). */
  readonly analysis: Classification | null;
  readonly max_lag: { readonly records: number; readonly at_s: number } | null;
  /**
   * Seconds from the end of the faults and the load until the group had committed everything, and
   * from the generator's end (its last answer) until then.
   */
  readonly drain: {
    readonly seconds: number | null;
    readonly after_load_end_s: number | null;
    readonly limit_s: number;
  };
  readonly service_exits: Record<string, string>;
  readonly pass: boolean;
  readonly fail_reasons: readonly string[];
}

export function lakeCheckPart(run: ScriptRun): NonNullable<ChaosResult['lake_check']> {
  const findings = Array.isArray(run.json?.findings)
    ? (run.json.findings as { kind: string }[])
    : null;
  const kinds: Record<string, number> = {};
  for (const f of findings ?? []) kinds[f.kind] = (kinds[f.kind] ?? 0) + 1;
  return {
    command: run.command,
    exit_code: run.code,
    findings: findings?.length ?? null,
    kinds,
    first_findings: (findings ?? []).slice(0, 20),
    totals: run.json?.totals ?? null,
  };
}

/** Why the run fails, if it does: losses, duplicates, findings, unconfirmed faults, no drain. */
export function failReasons(r: Omit<ChaosResult, 'pass' | 'fail_reasons'>): string[] {
  const out: string[] = [];
  for (const f of r.faults) {
    if (!f.confirmed)
      out.push(
        `fault #${f.n} ${f.kind} on ${f.target} was not confirmed${f.error ? `: ${f.error}` : ''}`,
      );
  }
  const g = r.generator;
  const stall = r.load_stalled;
  if (stall)
    out.push(
      `the pipeline stopped acknowledging events at ${stall.at_s} s (nothing for ${stall.for_s} s; last: "${stall.last_progress}"); the generator was stopped`,
    );
  else if (!g) out.push('the generator gave no summary');
  else if (g.rejected > 0 || g.accepted !== g.sent)
    out.push(
      `the generator: ${g.rejected} of ${g.sent} events not acknowledged in the end (verify expects seq 1..accepted)`,
    );
  if (r.drain.seconds === null)
    out.push(`the sinks did not commit everything within ${r.drain.limit_s} s`);
  if (r.missing === null) out.push('verify gave no report');
  const a = r.analysis;
  if ((r.missing ?? 0) > 0 && g) {
    out.push(
      `${r.missing} acknowledged events missing from the lake` +
        (a
          ? ` (${a.expected_not_in_kafka} never in Kafka, ${a.lost_by_sink} in Kafka but lost by the sink)`
          : ''),
    );
  } else if ((r.missing ?? 0) > 0 && (!a || a.lost_by_sink > 0)) {
    // The load was stopped: seqs in neither Kafka nor the lake may never have been acknowledged.
    out.push(
      a
        ? `${a.lost_by_sink} records in Kafka missing from the lake (lost by the sink)`
        : `${r.missing} seqs missing from the lake, not known whether acknowledged (no analysis)`,
    );
  }
  if ((r.duplicated ?? 0) > 0) {
    out.push(
      `${r.duplicated} duplicated events in the lake` +
        (a
          ? ` (in Kafka more than once: ${a.duplicated_by_client_retry} by client retries of unanswered requests, ` +
            `${a.duplicated_by_gateway_producer} by the gateway's producer from one request; ` +
            `${a.resends_kept_by_sink} resends the sink's dedup window kept; ` +
            `${a.duplicated_by_sink} written twice by the sink)`
          : ''),
    );
  }
  if (!r.lake_check || r.lake_check.findings === null) out.push('lake:check gave no report');
  else if (r.lake_check.findings > 0)
    out.push(
      `lake:check: ${r.lake_check.findings} findings (${Object.entries(r.lake_check.kinds)
        .map(([k, n]) => `${k} ×${n}`)
        .join(', ')})`,
    );
  return out;
}

const n = (x: number | null | undefined) =>
  x === null || x === undefined ? '–' : x.toLocaleString('en-US');

export function renderTables(r: ChaosResult): string {
  const g = r.generator;
  const kinds = Object.entries(r.faults_by_kind)
    .map(([k, c]) => `${k} ×${c}`)
    .join(', ');
  const confirmed = r.faults.filter((f) => f.confirmed).length;
  const rows: [string, string][] = [
    ['command', `\`${r.command}\``],
    ['seed', String(r.seed)],
    ['started', r.started_at],
    [
      'load',
      g
        ? `${n(g.target_rate)} events/s for ${g.seconds} s (achieved ${n(g.achieved_rate)}/s; ${n(g.retries)} retried requests)`
        : '–',
    ],
    ['faults applied', `${r.faults.length} (${kinds || 'none'}); ${confirmed} confirmed`],
    [
      'events acknowledged (2xx)',
      r.load_stalled && r.events_acknowledged === null
        ? `unknown: the load was stopped (last progress: ${r.load_stalled.last_progress})`
        : n(r.events_acknowledged),
    ],
    ['found in the lake', n(r.found)],
    [
      'missing',
      r.generator || r.missing === null
        ? n(r.missing)
        : `${n(r.missing)} of seq 1..the largest found (the load was stopped: not known to be acknowledged)`,
    ],
    ['duplicated', n(r.duplicated)],
    [
      'copies in Kafka',
      r.analysis
        ? `${n(r.analysis.kafka_records)} records of the run: ${n(r.analysis.duplicated_by_client_retry)} client resends of unanswered requests, ` +
          `${n(r.analysis.duplicated_by_gateway_producer)} written twice by the gateway's producer; ` +
          `the lake kept ${n(r.analysis.resends_kept_by_sink)} of them, the sink wrote ${n(r.analysis.duplicated_by_sink)} twice and lost ${n(r.analysis.lost_by_sink)}`
        : '–',
    ],
    ['lake:check findings', r.lake_check ? n(r.lake_check.findings) : '–'],
    [
      'max consumer lag',
      r.max_lag ? `${n(r.max_lag.records)} records (at ${r.max_lag.at_s} s)` : '–',
    ],
    [
      'time to drain',
      r.drain.seconds === null
        ? `not within ${r.drain.limit_s} s`
        : `${r.drain.seconds} s after the last fault's recovery, ${r.drain.after_load_end_s} s after the last answer to the generator`,
    ],
    ['verdict', r.pass ? 'pass' : `FAIL: ${r.fail_reasons.join('; ')}`],
  ];
  const summary = [
    '| measure | value |',
    '| --- | --- |',
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
  ];
  const faults = [
    '| # | t (s) | fault | target | down (s) | serving again after (s) | confirmed | evidence |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...r.faults.map(
      (f) =>
        `| ${f.n} | ${f.t_s} | ${f.kind} | ${f.target} | ${f.down_s || '–'} | ${f.recovered_after_s ?? '–'} | ${f.confirmed ? 'yes' : '**no**'} | ${f.evidence.map((e) => e.replaceAll('|', '\\|')).join('<br>')} |`,
    ),
  ];
  return `${summary.join('\n')}\n\n${faults.join('\n')}\n`;
}
