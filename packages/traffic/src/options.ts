import { parseArgs } from 'node:util';

export type ProfileName = 'tracking' | 'weblog' | 'mix';

export interface GeneratorOptions {
  readonly rate: number;
  /** Stop after this long, or after `count` events, whichever the user gave. */
  readonly durationMs: number | null;
  readonly count: number | null;
  readonly batch: number;
  readonly concurrency: number;
  readonly profile: ProfileName;
  readonly seed: number;
  readonly target: string;
  readonly apiKey: string | null;
  readonly directKafka: boolean;
  readonly topic: string;
  readonly maxAttempts: number;
  /** Exit non-zero when more than this share of events was finally rejected. */
  readonly maxRejectedRatio: number;
  readonly runId: string | null;
  /** Where /metrics is served while the run lasts, or null for nowhere. */
  readonly metrics: { readonly host: string; readonly port: number } | null;
}

export const DEFAULTS = {
  rate: 1000,
  batch: 100,
  concurrency: 16,
  profile: 'tracking',
  seed: 1,
  target: 'http://127.0.0.1:8080/events',
  topic: 'log-data',
  'max-attempts': 5,
  'max-rejected-ratio': 0,
  metrics: '127.0.0.1:9466',
} as const;

export const HELP = `pnpm generate [options]: synthetic events for loglake (replaces faking_data.py)

  --rate <n>                events per second, open loop (default ${DEFAULTS.rate})
  --duration <t>            how long, e.g. 500ms, 60s, 5m, 1h (default: until --count, else 60s)
  --count <n>               how many events in all
  --batch <n>               events per request or produce call (default ${DEFAULTS.batch})
  --concurrency <n>         requests in flight at most (default ${DEFAULTS.concurrency})
  --profile <p>             tracking (faking_data.py's ad tracking), weblog, or mix (default ${DEFAULTS.profile})
  --seed <n>                same seed, same events (default ${DEFAULTS.seed})
  --target <url>            the gateway's POST /events (default ${DEFAULTS.target})
  --api-key <key>           sent as X-API-Key
  --direct-kafka            produce straight to the topic (KAFKA_BROKERS), bypassing the gateway
  --topic <name>            topic for --direct-kafka (default ${DEFAULTS.topic})
  --max-attempts <n>        tries per request on 429/503, honouring Retry-After (default ${DEFAULTS['max-attempts']})
  --max-rejected-ratio <r>  exit 1 when a larger share was rejected in the end (default ${DEFAULTS['max-rejected-ratio']})
  --run-id <id>             run id carried by every event (default: random)
  --metrics <host:port>     serve Prometheus /metrics there while running, or "off" (default ${DEFAULTS.metrics})
  --help                    this text

Prints progress on stderr and one JSON summary line on stdout.`;

export class OptionsError extends Error {}

/** `60s` → 60000; accepts ms, s, m, h. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!m)
    throw new OptionsError(`--duration "${text}" is not a duration such as 500ms, 60s, 5m or 1h`);
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * factor);
}

function positiveInt(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0)
    throw new OptionsError(`--${name} must be a positive whole number, got "${text}"`);
  return n;
}

/** Parses the command line; throws OptionsError with a message naming the option. */
export function parseOptions(argv: readonly string[]): GeneratorOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        rate: { type: 'string' },
        duration: { type: 'string' },
        count: { type: 'string' },
        batch: { type: 'string' },
        concurrency: { type: 'string' },
        profile: { type: 'string' },
        seed: { type: 'string' },
        target: { type: 'string' },
        'api-key': { type: 'string' },
        'direct-kafka': { type: 'boolean' },
        topic: { type: 'string' },
        'max-attempts': { type: 'string' },
        'max-rejected-ratio': { type: 'string' },
        'run-id': { type: 'string' },
        metrics: { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new OptionsError((error as Error).message);
  }
  if (values.help) return 'help';
  const profile = values.profile ?? DEFAULTS.profile;
  if (profile !== 'tracking' && profile !== 'weblog' && profile !== 'mix') {
    throw new OptionsError(`--profile must be tracking, weblog or mix, got "${profile}"`);
  }
  const ratio =
    values['max-rejected-ratio'] === undefined
      ? DEFAULTS['max-rejected-ratio']
      : Number(values['max-rejected-ratio']);
  if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1)
    throw new OptionsError('--max-rejected-ratio must be between 0 and 1');
  let target: URL;
  try {
    target = new URL(values.target ?? DEFAULTS.target);
  } catch {
    throw new OptionsError(`--target "${values.target}" is not a URL`);
  }
  const count = values.count === undefined ? null : positiveInt('count', values.count, 1);
  const seedText = values.seed ?? String(DEFAULTS.seed);
  if (!/^\d+$/.test(seedText))
    throw new OptionsError(`--seed must be a whole number, got "${seedText}"`);
  return {
    rate: positiveInt('rate', values.rate, DEFAULTS.rate),
    durationMs:
      values.duration !== undefined
        ? parseDuration(values.duration)
        : count === null
          ? 60_000
          : null,
    count,
    batch: positiveInt('batch', values.batch, DEFAULTS.batch),
    concurrency: positiveInt('concurrency', values.concurrency, DEFAULTS.concurrency),
    profile,
    seed: Number(seedText),
    target: target.toString(),
    apiKey: values['api-key'] ?? null,
    directKafka: values['direct-kafka'] ?? false,
    topic: values.topic ?? DEFAULTS.topic,
    maxAttempts: positiveInt('max-attempts', values['max-attempts'], DEFAULTS['max-attempts']),
    maxRejectedRatio: ratio,
    runId: values['run-id'] ?? null,
    metrics: parseListen(values.metrics ?? DEFAULTS.metrics),
  };
}

function parseListen(text: string): { host: string; port: number } | null {
  if (text === 'off') return null;
  const m = /^(.+):(\d{1,5})$/.exec(text);
  const port = Number(m?.[2]);
  if (!m?.[1] || port > 65535)
    throw new OptionsError(`--metrics must be host:port or "off", got "${text}"`);
  return { host: m[1], port };
}
