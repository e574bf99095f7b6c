/** The measured scenarios of `pnpm bench`: gateway alone, whole pipeline, sink alone. */
import { join } from 'node:path';
import { createKafkaProducer } from '@loglake/kafka';
import { closedLoopRun, type ClosedLoopResult } from './ceilings.ts';
import { sinkTarget, withTopic, type BenchContext } from './context.ts';
import { runGatewayAlone, type LoadRun, type RunKind } from './gateway-run.ts';
import { runPipeline, type PipelineRun } from './pipeline-run.ts';
import { searchSustained, type SearchResult } from './search.ts';
import { GATEWAY_PORT, startGateway } from './services.ts';
import { drainBacklog, fillBacklog, type DrainResult } from './sink-drain.ts';

export interface ScenarioResult<R extends LoadRun> {
  readonly fixed: readonly R[];
  readonly search: SearchResult<R>;
}

function describe(r: LoadRun): string {
  const why = r.pass ? 'ok' : `FAIL (${r.fail_reasons.join('; ')})`;
  return `${r.label}: achieved ${r.achieved_rate}/s, p99 ${r.latency_ms.p99} ms: ${why}`;
}

/** Fixed rates, then the search; `run` measures one rate for a number of seconds. */
async function scenario<R extends LoadRun>(
  ctx: BenchContext,
  name: string,
  run: (kind: RunKind, rate: number, seconds: number) => Promise<R>,
): Promise<ScenarioResult<R>> {
  const s = ctx.settings;
  const logged = async (kind: RunKind, rate: number, seconds: number) => {
    ctx.log(`${name}: ${kind} ${rate}/s for ${seconds} s`);
    const r = await run(kind, rate, seconds);
    ctx.log(`${name}: ${describe(r)}`);
    return r;
  };
  const fixed: R[] = [];
  for (const rate of s.fixedRates) fixed.push(await logged('fixed', rate, s.fixedS));
  const search = await searchSustained({
    known: fixed,
    probe: (rate) => logged('probe', rate, s.probeS),
    confirm: (rate) => logged('confirm', rate, s.sustainS),
    maxProbes: s.maxProbes,
    maxConfirms: s.maxConfirms,
  });
  ctx.log(`${name}: sustained ${search.sustained_rate ?? 'none'}/s`);
  return { fixed, search };
}

export interface GatewayScenario extends ScenarioResult<LoadRun> {
  /** bench:gateway's closed-loop load, comparable with the empty-fastify ceiling. */
  readonly closed_loop: ClosedLoopResult;
  /** The same with `GATEWAY_WORKERS=2`. */
  readonly closed_loop_2_workers: ClosedLoopResult;
}

/** The closed loop against a gateway of `workers` processes (CPU and RSS: all of them). */
function gatewayClosedLoop(ctx: BenchContext, workers: number): Promise<ClosedLoopResult> {
  ctx.log(`gateway alone: closed loop, ${workers} worker(s)`);
  return withTopic(ctx, `gw-closed-loop-${workers}`, async (topic) => {
    const gateway = await startGateway({
      root: ctx.root,
      brokers: ctx.kafka.brokers,
      topic,
      workers,
      logFile: join(ctx.logsDir, `gw-closed-loop-${workers}-gateway.log`),
    });
    try {
      const r = await closedLoopRun(ctx, `http://127.0.0.1:${GATEWAY_PORT}/events`, gateway.pid);
      ctx.log(`gateway alone: closed loop, ${workers} worker(s): ${r.events_per_s} events/s`);
      return r;
    } finally {
      await gateway.stop();
    }
  });
}

export async function gatewayScenario(ctx: BenchContext): Promise<GatewayScenario> {
  const closed = await gatewayClosedLoop(ctx, 1);
  const closedTwo = await gatewayClosedLoop(ctx, 2);
  const result = await scenario(ctx, 'gateway alone', (kind, rate, seconds) =>
    runGatewayAlone(ctx, kind, rate, seconds),
  );
  return { closed_loop: closed, closed_loop_2_workers: closedTwo, ...result };
}

export function pipelineScenario(ctx: BenchContext): Promise<ScenarioResult<PipelineRun>> {
  return scenario(ctx, 'pipeline', (kind, rate, seconds) => runPipeline(ctx, kind, rate, seconds));
}

export interface SinkScenario extends DrainResult {
  /** Seconds it took to produce the backlog (not part of the drain). */
  readonly fill_s: number;
}

export async function sinkScenario(ctx: BenchContext): Promise<SinkScenario> {
  const rows = ctx.settings.drainRows;
  return withTopic(ctx, 'sink-drain', async (topic) => {
    ctx.log(`sink alone: producing a backlog of ${rows} events`);
    const producer = createKafkaProducer(ctx.kafka);
    await producer.connect();
    const t0 = performance.now();
    try {
      await fillBacklog(producer, topic, rows);
    } finally {
      await producer.disconnect();
    }
    const fillS = Math.round((performance.now() - t0) / 100) / 10;
    ctx.log('sink alone: draining');
    const drain = await drainBacklog({
      root: ctx.root,
      kafka: ctx.kafka,
      admin: ctx.admin,
      target: sinkTarget(ctx, 'sink-drain'),
      topic,
      groupId: `${topic}-group`,
      rows,
      logFile: join(ctx.logsDir, 'sink-drain-sink.log'),
    });
    ctx.log(`sink alone: ${drain.rows_per_s} rows/s`);
    return { ...drain, fill_s: fillS };
  });
}
