/** One open-loop run through the whole pipeline: generator → gateway → Kafka → sink → local S3. */
import { join } from 'node:path';
import { recordsInTopic, sinkTarget, withTopic, type BenchContext } from './context.ts';
import {
  loadFailures,
  loadFields,
  measureLoad,
  usage,
  warmUp,
  type LoadRun,
  type MeasuredLoad,
  type RunKind,
  type ServiceUsage,
} from './gateway-run.ts';
import { groupLag, judgeLag, sampleLag, waitForZeroLag, type LagVerdict } from './lag.ts';
import { meter, round } from './proc-stats.ts';
import { startGateway, startSink } from './services.ts';

export interface PipelineRun extends LoadRun {
  readonly sink: ServiceUsage & {
    /** Rows committed by the sink ÷ seconds from the first send until the lag was 0 (or the wait ended). */
    readonly rows_per_s: number;
    readonly rows_committed: number;
  };
  readonly lag: LagVerdict & {
    /** Seconds after the last answer to the generator until the lag was 0; null if not within BENCH_LAG_WAIT_S. */
    readonly zero_after_last_send_s: number | null;
    /** Lag samples: seconds since the first send, and records not yet committed. */
    readonly t_s: readonly number[];
    readonly samples: readonly number[];
  };
}

export function runPipeline(
  ctx: BenchContext,
  kind: RunKind,
  rate: number,
  seconds: number,
): Promise<PipelineRun> {
  const label = `pipe-${kind}-${rate}`;
  const flushAgeMs = ctx.settings.pipelineFlushAgeMs;
  return withTopic(ctx, label, async (topic) => {
    const groupId = `${topic}-group`;
    const sink = await startSink({
      root: ctx.root,
      brokers: ctx.kafka.brokers,
      topic,
      groupId,
      target: sinkTarget(ctx, label),
      logFile: join(ctx.logsDir, `${label}-sink.log`),
      env: { SINK_FLUSH_MAX_AGE_MS: String(flushAgeMs) },
    });
    try {
      const gateway = await startGateway({
        root: ctx.root,
        brokers: ctx.kafka.brokers,
        topic,
        logFile: join(ctx.logsDir, `${label}-gateway.log`),
      });
      let measured: MeasuredLoad;
      let sampler: ReturnType<typeof sampleLag>;
      let sinkMeter: ReturnType<typeof meter>;
      let sendEnd: number;
      try {
        const warmupEvents = await warmUp(ctx);
        sampler = sampleLag(ctx.admin, topic, groupId);
        sinkMeter = meter(sink.pid);
        measured = { ...(await measureLoad(ctx, gateway.pid, rate, seconds)), warmupEvents };
        sendEnd = sampler.elapsed();
      } finally {
        await gateway.stop();
      }
      const sendStart = sendEnd - measured.load.summary.seconds;
      const waitS = ctx.settings.lagWaitS - (sampler.elapsed() - sendEnd);
      const reached = await waitForZeroLag(ctx.admin, topic, groupId, waitS);
      const drainedAt = sampler.elapsed();
      const zeroAfter = reached === null ? null : round(drainedAt - sendEnd, 1);
      const sinkUsage = sinkMeter.read();
      await sampler.stop();
      const inTopic = await recordsInTopic(ctx.admin, topic);
      // Rows of this run committed by the sink (the warm-up's were committed too, but are not counted).
      const committed =
        inTopic - (await groupLag(ctx.admin, topic, groupId)) - measured.warmupEvents;
      const verdict = judgeLag({
        samples: sampler.samples,
        from: sendStart,
        to: sendEnd,
        rate,
        zeroAfterS: zeroAfter,
        flushAgeS: flushAgeMs / 1000,
      });
      const reasons = loadFailures(measured.load.summary);
      if (!verdict.bounded) reasons.push('lag not bounded');
      return {
        ...loadFields(label, kind, measured, inTopic),
        sink: {
          ...usage(sinkUsage, committed),
          rows_committed: committed,
          rows_per_s: Math.round(committed / (drainedAt - sendStart)),
        },
        lag: {
          ...verdict,
          zero_after_last_send_s: zeroAfter,
          t_s: sampler.samples.map((s) => round(s.t - sendStart, 1)),
          samples: sampler.samples.map((s) => s.lag),
        },
        pass: reasons.length === 0,
        fail_reasons: reasons,
      };
    } finally {
      await sink.stop();
    }
  });
}
