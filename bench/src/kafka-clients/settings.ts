/** Sizes of `pnpm bench:kafka`, from the environment; BENCH_QUICK=1 shrinks them for a smoke run. */
export interface KafkaBenchSettings {
  readonly quick: boolean;
  readonly records: number;
  readonly repetitions: number;
  /** Client ids to measure (BENCH_KAFKA_CLIENTS=kafkajs,platformatic); empty means all. */
  readonly clients: readonly string[];
  readonly batch: number;
  readonly partitions: number;
  /** A child that makes no progress for this long fails its run. */
  readonly stallMs: number;
}

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer`);
  return n;
}

export function loadKafkaBenchSettings(env: NodeJS.ProcessEnv): KafkaBenchSettings {
  const quick = env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
  return {
    quick,
    records: positive(env, 'BENCH_KAFKA_RECORDS', quick ? 100_000 : 1_000_000),
    repetitions: positive(env, 'BENCH_KAFKA_REPS', quick ? 1 : 3),
    clients: (env.BENCH_KAFKA_CLIENTS ?? '')
      .split(',')
      .map((c) => c.trim())
      .filter((c) => c !== ''),
    batch: 100,
    partitions: 6,
    stallMs: 60_000,
  };
}
