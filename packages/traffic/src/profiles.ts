import { Faker, base, en } from '@faker-js/faker';
import type { ProfileName } from './options.ts';

export type SyntheticEvent = Record<string, unknown>;

const GREGORIAN_OFFSET = 0x01b21dd213814000n; // 100-ns intervals from 1582-10-15 to 1970-01-01

/** A time-based UUID (version 1) for `ms`, as Cassandra's uuid_from_time made for faking_data.py. */
export function uuidv1(ms: number, random: () => number): string {
  const t =
    BigInt(Math.floor(ms)) * 10_000n + GREGORIAN_OFFSET + BigInt(Math.floor(random() * 10_000));
  const low = (t & 0xffffffffn).toString(16).padStart(8, '0');
  const mid = ((t >> 32n) & 0xffffn).toString(16).padStart(4, '0');
  const hi = (((t >> 48n) & 0x0fffn) | 0x1000n).toString(16).padStart(4, '0');
  const clock = ((Math.floor(random() * 0x3fff) & 0x3fff) | 0x8000).toString(16).padStart(4, '0');
  const node = Array.from({ length: 6 }, () =>
    Math.floor(random() * 256)
      .toString(16)
      .padStart(2, '0'),
  ).join('');
  return `${low}-${mid}-${hi}-${clock}-${node}`;
}

/** An index in [0, n) skewed towards 0: a few hot campaigns and users take most traffic. */
function skewed(random: () => number, n: number, power = 3): number {
  return Math.min(n - 1, Math.floor(n * random() ** power));
}

interface Session {
  userId: string;
  sessionId: string;
  left: number;
  userAgent: string;
  ip: string;
}

/** How late the 1% of late events are: from 1 min to 6 h 1 min behind their generation time. */
const LATE_MIN_MS = 60_000;
const LATE_SPREAD_MS = 6 * 3_600_000;
/** How late the others are: up to 2 s (jitter). */
const JITTER_MAX_MS = 2000;

/**
 * How far a generated event's time (`ts`) can lie before and after the moment it was generated:
 * late events up to 6 h 1 min before, none after. Where a run's events can be in the lake (`pnpm
 * verify` reads only those hour folders).
 */
export const EVENT_TIME_WINDOW = { pastMs: LATE_MIN_MS + LATE_SPREAD_MS, futureMs: 0 } as const;

export interface ProfileContext {
  readonly seed: number;
  readonly runId: string;
  readonly now: () => number;
}

/**
 * Synthetic traffic: `next()` returns the next event. Same seed, same events (given the same clock).
 * Event times lag the clock a little (jitter) and 1% are late by minutes to hours.
 */
export function createProfile(name: ProfileName, ctx: ProfileContext): { next(): SyntheticEvent } {
  const faker = new Faker({ locale: [en, base] });
  faker.seed(ctx.seed);
  const random = () => faker.number.float({ min: 0, max: 1 });
  const users = Array.from({ length: 2000 }, (_, i) => `user-${i}-${faker.string.alphanumeric(6)}`);
  const agents = Array.from({ length: 20 }, () => faker.internet.userAgent());
  const paths = Array.from({ length: 200 }, () => `/${faker.word.noun()}/${faker.word.noun()}`);
  const sessions: Session[] = [];
  let seq = 0;

  const session = (): Session => {
    if (sessions.length < 200 || random() < 0.05) {
      sessions.push({
        userId: users[skewed(random, users.length)] ?? 'user-0',
        sessionId: faker.string.uuid(),
        left: 1 + Math.floor(random() * 50),
        userAgent: agents[skewed(random, agents.length, 2)] ?? '',
        ip: faker.internet.ipv4(),
      });
    }
    const i = Math.floor(random() * sessions.length);
    const s = sessions[i] as Session;
    s.left -= 1;
    if (s.left <= 0) sessions.splice(i, 1);
    return s;
  };

  const eventTime = () => {
    const now = ctx.now();
    if (random() < 0.01) return now - Math.floor(LATE_MIN_MS + random() * LATE_SPREAD_MS); // late
    return now - Math.floor(random() * random() * JITTER_MAX_MS);
  };

  const tracking = (): SyntheticEvent => {
    const s = session();
    const ts = eventTime();
    return {
      event_type: 'tracking',
      ts,
      create_time: uuidv1(ts, random),
      bid: Math.round(random() * 200) / 100,
      campaign_id: skewed(random, 500) + 1,
      company_id: skewed(random, 100) + 1,
      publisher_id: skewed(random, 50, 2) + 1,
      group_id: skewed(random, 1000) + 1,
      job_id: skewed(random, 100_000, 2) + 1,
      custom_track: faker.helpers.weightedArrayElement([
        { weight: 70, value: 'click' },
        { weight: 10, value: 'unqualified' },
        { weight: 10, value: 'qualified' },
        { weight: 10, value: 'conversion' },
      ]),
      user_id: s.userId,
      session_id: s.sessionId,
    };
  };

  const weblog = (): SyntheticEvent => {
    const s = session();
    const status = faker.helpers.weightedArrayElement([
      { weight: 90, value: 200 },
      { weight: 4, value: 304 },
      { weight: 3, value: 404 },
      { weight: 2, value: 500 },
      { weight: 1, value: 503 },
    ]);
    return {
      event_type: 'http_request',
      ts: eventTime(),
      level: status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info',
      message: `${faker.internet.httpMethod()} ${paths[skewed(random, paths.length)] ?? '/'} ${status}`,
      url: `https://app.example.com${paths[skewed(random, paths.length)] ?? '/'}`,
      status,
      latency_ms: Math.round(random() ** 3 * 2000 * 10) / 10,
      user_agent: s.userAgent,
      ip: s.ip,
      user_id: s.userId,
      session_id: s.sessionId,
    };
  };

  return {
    next() {
      const base =
        name === 'tracking'
          ? tracking()
          : name === 'weblog'
            ? weblog()
            : random() < 0.5
              ? tracking()
              : weblog();
      seq += 1;
      // A client's own id, made once per event: a resend after a lost answer carries the same id,
      // so the sink can drop the second copy.
      return { ...base, event_id: `${ctx.runId}-${seq}`, run_id: ctx.runId, seq };
    },
  };
}
