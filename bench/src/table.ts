/** The results of `pnpm bench` as Markdown tables, for the terminal and docs/benchmarks.md. */
import type { ClosedLoopResult, ProducerPerfResult } from './ceilings.ts';
import type { LoadRun } from './gateway-run.ts';
import type { PipelineRun } from './pipeline-run.ts';
import type { GatewayScenario, ScenarioResult, SinkScenario } from './scenarios.ts';

export interface TableInput {
  readonly ceilings: {
    readonly kafka_producer_perf: ProducerPerfResult;
    readonly fastify_empty: ClosedLoopResult;
  };
  readonly gateway: GatewayScenario;
  readonly pipeline: ScenarioResult<PipelineRun>;
  readonly sink_alone: SinkScenario;
}

const n = (x: number | null | undefined): string =>
  x === null || x === undefined ? '–' : x.toLocaleString('en-US');

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const latency = (l: { p50: number; p99: number; max: number }) =>
  `${n(l.p50)} / ${n(l.p99)} / ${n(l.max)}`;

function ceilings(input: TableInput): string {
  const p = input.ceilings.kafka_producer_perf;
  const f = input.ceilings.fastify_empty;
  const g = input.gateway.closed_loop;
  const http = (name: string, r: ClosedLoopResult) => [
    name,
    `${n(r.events_per_s)} events/s (${n(r.requests_per_s)} req/s)`,
    latency(r.latency_ms),
    `${n(r.server_cpu_s_per_million)} s/M events, ${n(r.server_peak_rss_mb)} MB`,
  ];
  return table(
    ['ceiling', 'throughput', 'latency p50 / p99 / max ms', 'server CPU, peak RSS'],
    [
      [
        `Kafka ProducerPerformance, ${n(p.records)} × 470 B, acks=all`,
        `${n(p.records_per_s)} records/s (${n(p.mb_per_s)} MB/s)`,
        `${n(p.latency_ms.p50)} / ${n(p.latency_ms.p99)} / ${n(p.latency_ms.max)} (avg ${n(p.latency_ms.avg)})`,
        `producer JVM ${n(p.producer_cpu_s)} CPU s`,
      ],
      http(`empty fastify route, closed loop, ${f.batch} events/request × ${f.concurrency}`, f),
      http(`gateway → Kafka, same closed loop`, g),
      http(
        `gateway → Kafka, same closed loop, GATEWAY_WORKERS=2`,
        input.gateway.closed_loop_2_workers,
      ),
    ],
  );
}

function allRuns<R extends LoadRun>(s: ScenarioResult<R>): R[] {
  return [...s.fixed, ...s.search.probes, ...s.search.confirms];
}

const runName = (r: LoadRun) => `${r.kind} ${n(r.target_rate)} (${Math.round(r.seconds)} s)`;
/** The gateway's CPU seconds per second of the run: near 1, its one event loop is saturated. */
const gatewayCores = (r: LoadRun) => n(Math.round((r.gateway.cpu_s / r.seconds) * 100) / 100);
const verdict = (r: LoadRun) => (r.pass ? 'ok' : `fail: ${r.fail_reasons.join('; ')}`);

function gatewayRuns(s: GatewayScenario): string {
  return table(
    [
      'run (target/s)',
      'achieved/s',
      'accepted',
      'failed req',
      'latency p50 / p99 / max ms',
      'gw CPU s/M',
      'gw cores',
      'gw peak RSS MB',
      'gen CPU s/M',
      'broker CPU s/M',
      'busy / stolen cores',
      'result',
    ],
    allRuns(s).map((r) => [
      runName(r),
      n(r.achieved_rate),
      n(r.accepted),
      n(r.failed_requests),
      latency(r.latency_ms),
      n(r.gateway.cpu_s_per_million),
      gatewayCores(r),
      n(r.gateway.peak_rss_mb),
      n(r.generator.cpu_s_per_million),
      n(r.broker?.cpu_s_per_million),
      `${n(r.machine.busy_cores)} / ${n(r.machine.steal_cores)}`,
      verdict(r),
    ]),
  );
}

function pipelineRuns(s: ScenarioResult<PipelineRun>): string {
  return table(
    [
      'run (target/s)',
      'achieved/s',
      'accepted',
      'failed req',
      'latency p50 / p99 / max ms',
      'gw CPU s/M',
      'gw cores',
      'gw RSS MB',
      'sink CPU s/M',
      'sink RSS MB',
      'sink rows/s',
      'max lag',
      'lag → 0 s',
      'busy / stolen cores',
      'result',
    ],
    allRuns(s).map((r) => [
      runName(r),
      n(r.achieved_rate),
      n(r.accepted),
      n(r.failed_requests),
      latency(r.latency_ms),
      n(r.gateway.cpu_s_per_million),
      gatewayCores(r),
      n(r.gateway.peak_rss_mb),
      n(r.sink.cpu_s_per_million),
      n(r.sink.peak_rss_mb),
      n(r.sink.rows_per_s),
      n(r.lag.max),
      n(r.lag.zero_after_last_send_s),
      `${n(r.machine.busy_cores)} / ${n(r.machine.steal_cores)}`,
      verdict(r),
    ]),
  );
}

function sinkAlone(d: SinkScenario): string {
  return table(
    [
      'backlog rows',
      'drain s',
      'rows/s',
      'CPU s',
      'CPU s/M rows',
      'peak RSS MiB',
      'RSS when ready MiB',
      'budget MiB',
    ],
    [
      [
        n(d.rows),
        n(d.seconds),
        n(d.rows_per_s),
        n(d.cpu_seconds),
        n(d.cpu_s_per_million),
        n(d.peak_rss_mb),
        n(d.rss_at_ready_mb),
        n(d.memory_budget_mb),
      ],
    ],
  );
}

export function renderTables(input: TableInput): string {
  const sustained = (s: ScenarioResult<LoadRun>) =>
    s.search.sustained_rate === null ? 'none confirmed' : `${n(s.search.sustained_rate)} events/s`;
  return [
    '### Ceilings of this machine',
    ceilings(input),
    '',
    `### Gateway alone into Kafka: highest sustained rate ${sustained(input.gateway)}`,
    gatewayRuns(input.gateway),
    '',
    `### Whole pipeline (gateway + sink → S3): highest sustained rate ${sustained(input.pipeline)}`,
    pipelineRuns(input.pipeline),
    '',
    '### Sink alone, draining a backlog',
    sinkAlone(input.sink_alone),
    '',
  ].join('\n');
}
