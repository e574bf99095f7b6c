/** `pnpm chaos` options: how long, how fast, how often a fault, which seed, which cluster. */
import { parseArgs } from 'node:util';
import { parseDuration } from '@loglake/traffic';

export interface ChaosOptions {
  readonly durationMs: number;
  readonly rate: number;
  readonly intervalMs: number;
  readonly seed: number;
  /** Run on the three-node cluster (RF 3, min.insync.replicas 2) and add broker kills. */
  readonly three: boolean;
  /** Longest wait after the load for the sinks to commit everything. */
  readonly drainTimeoutMs: number;
  /** The generator is stopped when nothing was acknowledged for this long (a wedged pipeline). */
  readonly stallTimeoutMs: number;
  /** Where to write the JSON result (also printed on stdout). */
  readonly out: string | null;
}

export const CHAOS_HELP = `pnpm chaos [options]: the pipeline under load while faults are applied, then checked

  --duration <t>        how long the generator sends (default 10m)
  --rate <n>            events per second (default 5000)
  --interval <t>        one random fault this often (default 30s)
  --seed <n>            chooses the faults and their victims; same seed, same faults (default: random, printed)
  --three               run on the three-node cluster (RF 3, min.insync.replicas 2) and add broker kills
  --drain-timeout <t>   longest wait for the sinks to commit everything after the load (default 5m)
  --stall-timeout <t>   stop the load when no event was acknowledged for this long (default 2m)
  --out <file>          also write the JSON result there
  --help                this text

Uses the local stack (pnpm stack:up); run it under flock /tmp/loglake-stack.lock. Prints progress
on stderr, the JSON result on stdout and a Markdown table on stderr; exit 1 on any loss,
duplicate, lake:check finding or fault that could not be confirmed, 2 on bad options.`;

export class ChaosOptionsError extends Error {}

function whole(name: string, text: string): number {
  if (!/^\d+$/.test(text) || Number(text) <= 0)
    throw new ChaosOptionsError(`--${name} must be a positive whole number, got "${text}"`);
  return Number(text);
}

function duration(name: string, text: string): number {
  try {
    return parseDuration(text);
  } catch (error) {
    throw new ChaosOptionsError(`--${name}: ${(error as Error).message}`);
  }
}

function seedOf(text: string): number {
  if (!/^\d+$/.test(text))
    throw new ChaosOptionsError(`--seed must be a whole number, got "${text}"`);
  return Number(text);
}

export function parseChaosOptions(argv: readonly string[]): ChaosOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        duration: { type: 'string', default: '10m' },
        rate: { type: 'string', default: '5000' },
        interval: { type: 'string', default: '30s' },
        seed: { type: 'string' },
        three: { type: 'boolean', default: false },
        'drain-timeout': { type: 'string', default: '5m' },
        'stall-timeout': { type: 'string', default: '2m' },
        out: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    throw new ChaosOptionsError((error as Error).message);
  }
  if (values.help) return 'help';
  const durationMs = duration('duration', values.duration);
  const intervalMs = duration('interval', values.interval);
  if (intervalMs < 5000) throw new ChaosOptionsError('--interval must be at least 5s');
  if (intervalMs >= durationMs)
    throw new ChaosOptionsError('--interval must be shorter than --duration');
  return {
    durationMs,
    rate: whole('rate', values.rate),
    intervalMs,
    seed: values.seed === undefined ? Math.floor(Math.random() * 1_000_000) : seedOf(values.seed),
    three: values.three,
    drainTimeoutMs: duration('drain-timeout', values['drain-timeout']),
    stallTimeoutMs: duration('stall-timeout', values['stall-timeout']),
    out: values.out ?? null,
  };
}
