/** Durations and sizes of `pnpm bench`, from the environment; BENCH_QUICK=1 shrinks them all for a smoke run. */
export interface BenchSettings {
  readonly quick: boolean;
  /** Open-loop rates measured for BENCH_FIXED_S each, in both scenarios. */
  readonly fixedRates: readonly number[];
  readonly fixedS: number;
  /** Length of a search probe. */
  readonly probeS: number;
  /** Length of the run that confirms the best probe. */
  readonly sustainS: number;
  /** Probes per search at most (confirmations not counted). */
  readonly maxProbes: number;
  /** Confirmation attempts at most; each failure steps the rate down 15%. */
  readonly maxConfirms: number;
  /** Length of the closed-loop runs (empty fastify, gateway). */
  readonly closedLoopS: number;
  readonly producerPerfRecords: number;
  readonly drainRows: number;
  /** SINK_FLUSH_MAX_AGE_MS of the pipeline runs: several flush cycles fit in one quarter of a run. */
  readonly pipelineFlushAgeMs: number;
  /** How long to wait after the last send for the lag to reach 0 before giving up. */
  readonly lagWaitS: number;
  /** Closed-loop warm-up of each freshly started gateway before it is measured (0: none). */
  readonly warmupS: number;
  /** Events per request and requests in flight of the load generator. */
  readonly batch: number;
  readonly concurrency: number;
}

function num(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number`);
  return n;
}

export function loadSettings(env: NodeJS.ProcessEnv): BenchSettings {
  const quick = env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
  return {
    quick,
    fixedRates: [10_000, 50_000],
    fixedS: num(env, 'BENCH_FIXED_S', quick ? 5 : 30),
    probeS: num(env, 'BENCH_PROBE_S', quick ? 5 : 20),
    sustainS: num(env, 'BENCH_SUSTAIN_S', quick ? 5 : 60),
    maxProbes: num(env, 'BENCH_MAX_PROBES', quick ? 1 : 5),
    maxConfirms: num(env, 'BENCH_MAX_CONFIRMS', quick ? 1 : 3),
    closedLoopS: num(env, 'BENCH_CLOSED_LOOP_S', quick ? 5 : 15),
    producerPerfRecords: num(env, 'BENCH_PRODUCER_PERF_RECORDS', quick ? 100_000 : 1_000_000),
    drainRows: num(env, 'BENCH_DRAIN_ROWS', quick ? 100_000 : 1_000_000),
    pipelineFlushAgeMs: num(env, 'BENCH_PIPELINE_FLUSH_AGE_MS', quick ? 1000 : 5000),
    lagWaitS: num(env, 'BENCH_LAG_WAIT_S', quick ? 30 : 120),
    warmupS: env.BENCH_WARMUP_S === '0' ? 0 : num(env, 'BENCH_WARMUP_S', quick ? 1 : 3),
    batch: 100,
    concurrency: 32,
  };
}
