/** One open-loop run against the gateway alone (no sink): a fresh topic, a fresh gateway, the generator. */
import { join } from 'node:path';
import { recordsInTopic, withTopic, type BenchContext } from './context.ts';
import { runLoad, type GeneratorRun, type GeneratorSummary } from './generator.ts';
import { meter, perMillion, type ProcessUsage } from './proc-stats.ts';
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
  /** Records in the topic afterwards; equals `accepted` unless something was lost or doubled. */
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

/** The fields of a LoadRun that come from the generator and the gateway. */
export function loadFields(
  label: string,
  kind: RunKind,
  load: GeneratorRun,
  gateway: ProcessUsage,
  inTopic: number,
): Omit<LoadRun, 'pass' | 'fail_reasons'> {
  const s = load.summary;
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
    gateway: usage(gateway, s.accepted),
    generator: { cpu_s: load.cpu_s, cpu_s_per_million: perMillion(load.cpu_s, s.sent) },
    in_topic: inTopic,
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
      const m = meter(gateway.pid);
      const load = await runLoad({
        root: ctx.root,
        target: `http://127.0.0.1:${GATEWAY_PORT}/events`,
        rate,
        seconds,
        batch: ctx.settings.batch,
        concurrency: ctx.settings.concurrency,
      });
      const used = m.read();
      const fields = loadFields(label, kind, load, used, await recordsInTopic(ctx.admin, topic));
      const reasons = loadFailures(load.summary);
      return { ...fields, pass: reasons.length === 0, fail_reasons: reasons };
    } finally {
      await gateway.stop();
    }
  });
}
