/** One open-loop run against the gateway alone (no sink): a fresh topic, a fresh gateway, the generator. */
import { join } from 'node:path';
import { recordsInTopic, withTopic, type BenchContext } from './context.ts';
import { runLoad, type GeneratorRun, type GeneratorSummary } from './generator.ts';
import { closedLoop } from './http-load.ts';
import { machineMeter, meter, perMillion, type ProcessUsage } from './proc-stats.ts';
import { sampleBody } from './sample-event.ts';
import { GATEWAY_PORT, startGateway } from './services.ts';

export type RunKind = 'fixed' | 'probe' | 'confirm';

export interface ServiceUsage extends ProcessUsage {
  readonly cpu_s_per_million: number | null;
}

export interface LoadRun {
  readonly label: string;
  readonly kind: RunKind;
  readonly target_rate: number;
  readonly achieved_rate: number;
  readonly seconds: number;
  readonly sent: number;
  readonly accepted: number;
  readonly rejected: number;
  /** Requests answered other than 200 (5xx, 429, …) or not answered: one attempt each. */
  readonly failed_requests: number;
  readonly latency_ms: GeneratorSummary['latency_ms'];
  readonly behind_schedule_ms: GeneratorSummary['behind_schedule_ms'];
  readonly gateway: ServiceUsage;
  readonly generator: { readonly cpu_s: number; readonly cpu_s_per_million: number | null };
  /** The local broker's CPU over the run; it is shared, so anything else using it counts too. */
  readonly broker: { readonly cpu_s: number; readonly cpu_s_per_million: number | null } | null;
  /** Average busy and hypervisor-stolen cores of the whole machine over the run (/proc/stat). */
  readonly machine: { readonly busy_cores: number; readonly steal_cores: number };
  readonly warmup_events: number;
  /** Records in the topic afterwards, warm-up excluded; equals `accepted` unless something was lost or doubled. */
  readonly in_topic: number;
  readonly pass: boolean;
  readonly fail_reasons: readonly string[];
}

/** A run keeps up when every request got a 200, no event was rejected, and ≥ 95% of the target rate was sent. */
export const LOAD_RULE =
  'sustained = no failed request (one attempt each, so every 5xx/429/connection error counts), ' +
  'no rejected event, and achieved rate (events sent ÷ seconds until the last answer) at least 95% ' +
  'of the target; the open-loop generator can only fall short when all its connections are busy.';

export function loadFailures(s: GeneratorSummary): string[] {
  const reasons: string[] = [];
  if (s.failed_requests > 0) reasons.push(`${s.failed_requests} failed requests`);
  if (s.rejected > 0) reasons.push(`${s.rejected} rejected events`);
  if (s.achieved_rate < 0.95 * s.target_rate)
    reasons.push(`achieved ${s.achieved_rate}/s < 95% of ${s.target_rate}/s`);
  return reasons;
}

export function usage(u: ProcessUsage, events: number): ServiceUsage {
  return { ...u, cpu_s_per_million: perMillion(u.cpu_s, events) };
}

/** Closed-loop requests to a freshly started gateway (JIT, connections) before it is measured; events sent. */
export async function warmUp(ctx: BenchContext): Promise<number> {
  if (ctx.settings.warmupS === 0) return 0;
  const r = await closedLoop({
    url: `http://127.0.0.1:${GATEWAY_PORT}/events`,
    body: sampleBody(ctx.settings.batch),
    headers: { 'content-type': 'application/json' },
    concurrency: 4,
    durationMs: ctx.settings.warmupS * 1000,
  });
  return (r.byStatus['200'] ?? 0) * ctx.settings.batch;
}

export interface MeasuredLoad {
  readonly load: GeneratorRun;
  readonly gateway: ProcessUsage;
  readonly broker: ProcessUsage | null;
  readonly machine: { readonly busy_cores: number; readonly steal_cores: number };
  readonly warmupEvents: number;
}

/** The generator's run at `rate`, with the gateway's, the broker's and the machine's CPU over it. */
export async function measureLoad(
  ctx: BenchContext,
  gatewayPid: number,
  rate: number,
  seconds: number,
): Promise<Omit<MeasuredLoad, 'warmupEvents'>> {
  const gatewayMeter = meter(gatewayPid);
  const brokerMeter = ctx.brokerPid === null ? null : meter(ctx.brokerPid);
  const machine = machineMeter();
  const load = await runLoad({
    root: ctx.root,
    target: `http://127.0.0.1:${GATEWAY_PORT}/events`,
    rate,
    seconds,
    batch: ctx.settings.batch,
    concurrency: ctx.settings.concurrency,
  });
  return {
    load,
    gateway: gatewayMeter.read(),
    broker: brokerMeter?.read() ?? null,
    machine: machine.read(),
  };
}

/** The fields of a LoadRun that come from the generator, the gateway and the broker. */
export function loadFields(
  label: string,
  kind: RunKind,
  m: MeasuredLoad,
  inTopic: number,
): Omit<LoadRun, 'pass' | 'fail_reasons'> {
  const s = m.load.summary;
  return {
    label,
    kind,
    target_rate: s.target_rate,
    achieved_rate: s.achieved_rate,
    seconds: s.seconds,
    sent: s.sent,
    accepted: s.accepted,
    rejected: s.rejected,
    failed_requests: s.failed_requests,
    latency_ms: s.latency_ms,
    behind_schedule_ms: s.behind_schedule_ms,
    gateway: usage(m.gateway, s.accepted),
    generator: { cpu_s: m.load.cpu_s, cpu_s_per_million: perMillion(m.load.cpu_s, s.sent) },
    broker: m.broker && {
      cpu_s: m.broker.cpu_s,
      cpu_s_per_million: perMillion(m.broker.cpu_s, s.accepted),
    },
    machine: m.machine,
    warmup_events: m.warmupEvents,
    in_topic: inTopic - m.warmupEvents,
  };
}

export function runGatewayAlone(
  ctx: BenchContext,
  kind: RunKind,
  rate: number,
  seconds: number,
): Promise<LoadRun> {
  const label = `gw-${kind}-${rate}`;
  return withTopic(ctx, label, async (topic) => {
    const gateway = await startGateway({
      root: ctx.root,
      brokers: ctx.kafka.brokers,
      topic,
      logFile: join(ctx.logsDir, `${label}-gateway.log`),
    });
    try {
      const warmupEvents = await warmUp(ctx);
      const m = { ...(await measureLoad(ctx, gateway.pid, rate, seconds)), warmupEvents };
      const fields = loadFields(label, kind, m, await recordsInTopic(ctx.admin, topic));
      const reasons = loadFailures(m.load.summary);
      return { ...fields, pass: reasons.length === 0, fail_reasons: reasons };
    } finally {
      await gateway.stop();
    }
  });
}
