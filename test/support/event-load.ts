/**
 * A steady HTTP load on POST /events for fault tests: a few clients, each with one request at a
 * time and a cap on its request rate, every event with its own `event_id`, no retries. Every
 * answer (or its absence) is recorded against the ids it carried, so that a test can hold the
 * HTTP answers against what a topic contains.
 */

export interface LoadOptions {
  readonly url: string;
  readonly apiKey: string;
  /** Prefix of every event id, unique to the run. */
  readonly runId: string;
  readonly clients: number;
  readonly eventsPerRequest: number;
  /** A client starts a request at most this often. */
  readonly requestIntervalMs: number;
  /** Users per client; all events of one request belong to one user (see `userOf`). */
  readonly usersPerClient: number;
  /** A request without an answer after this long is abandoned and counted as unanswered. */
  readonly requestTimeoutMs: number;
}

export interface RequestOutcome {
  readonly client: number;
  readonly n: number;
  readonly ids: readonly string[];
  /** Milliseconds since the load started. */
  readonly startedMs: number;
  readonly endedMs: number;
  /** The HTTP status, or null when no answer came (connection error, abandoned). */
  readonly status: number | null;
  /** `error.code` of the answer's JSON body, when it has one. */
  readonly code: string | null;
  readonly retryAfter: string | null;
  /** The body parsed as a JSON object. */
  readonly json: boolean;
  /** 200 only: `accepted` and `event_ids` are exactly the ids sent, in order. */
  readonly echoesIds: boolean;
  readonly failure: string | null;
}

/**
 * All events of a request share a user (an SDK flushes one user's queue), and the gateway keys by
 * user, so a request lands whole on one partition: produce batches then carry the same record
 * counts per partition again and again, which is the condition under which a broker can take a
 * new batch for a copy of an earlier one.
 */
export function userOf(client: number, n: number, usersPerClient: number): string {
  return `user-${client}-${n % usersPerClient}`;
}

export class EventLoad {
  readonly outcomes: RequestOutcome[] = [];
  private readonly t0 = performance.now();
  private running = false;
  private loops: Promise<void>[] = [];
  private acked = 0;

  constructor(private readonly options: LoadOptions) {}

  /** Milliseconds since the load was created. */
  now(): number {
    return performance.now() - this.t0;
  }

  /** Events answered 200 so far. */
  get ackedEvents(): number {
    return this.acked;
  }

  start(): void {
    this.running = true;
    this.loops = Array.from({ length: this.options.clients }, (_, c) => this.client(c));
  }

  /** Stops starting requests and resolves when every request has its outcome. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async client(c: number): Promise<void> {
    for (let n = 0; this.running; n += 1) {
      const started = this.now();
      const outcome = await this.post(c, n, started);
      this.outcomes.push(outcome);
      if (outcome.status === 200) this.acked += outcome.ids.length;
      const wait = started + this.options.requestIntervalMs - this.now();
      if (wait > 0 && this.running) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  private async post(client: number, n: number, startedMs: number): Promise<RequestOutcome> {
    const o = this.options;
    const ids = Array.from(
      { length: o.eventsPerRequest },
      (_, i) => `${o.runId}-c${client}-r${n}-${i}`,
    );
    const user = userOf(client, n, o.usersPerClient);
    const body = JSON.stringify(
      ids.map((id, i) => ({
        event_id: id,
        event_type: 'tracking',
        user_id: user,
        ts: Date.now(),
        campaign_id: n,
        job_id: i,
        custom_track: 'click',
      })),
    );
    const base = { client, n, ids, startedMs };
    try {
      const res = await fetch(`${o.url}/events`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', 'x-api-key': o.apiKey },
        signal: AbortSignal.timeout(o.requestTimeoutMs),
      });
      const text = await res.text();
      let parsed: unknown = null;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: recorded as such
      }
      const json = typeof parsed === 'object' && parsed !== null;
      const answer = (json ? parsed : {}) as {
        accepted?: unknown;
        event_ids?: unknown;
        error?: { code?: unknown };
      };
      const echoed = Array.isArray(answer.event_ids) ? (answer.event_ids as unknown[]) : [];
      return {
        ...base,
        endedMs: this.now(),
        status: res.status,
        code: typeof answer.error?.code === 'string' ? answer.error.code : null,
        retryAfter: res.headers.get('retry-after'),
        json,
        echoesIds:
          answer.accepted === ids.length &&
          echoed.length === ids.length &&
          echoed.every((id, i) => id === ids[i]),
        failure: null,
      };
    } catch (error) {
      return {
        ...base,
        endedMs: this.now(),
        status: null,
        code: null,
        retryAfter: null,
        json: false,
        echoesIds: false,
        failure: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      };
    }
  }
}

/** Where each event id sits in a topic: one entry per copy. */
export type TopicIndex = ReadonlyMap<string, readonly { partition: number; offset: string }[]>;

export function indexByEventId(
  records: readonly { partition: number; offset: string; text: string }[],
): TopicIndex {
  const index = new Map<string, { partition: number; offset: string }[]>();
  for (const r of records) {
    const id = String(JSON.parse(r.text).event_id);
    index.set(id, [...(index.get(id) ?? []), { partition: r.partition, offset: r.offset }]);
  }
  return index;
}

/** The HTTP answers held against a topic's contents. */
export interface AnswersAgainstTopic {
  readonly requests: number;
  readonly ok: readonly RequestOutcome[];
  readonly refused: readonly RequestOutcome[];
  readonly unanswered: readonly RequestOutcome[];
  /** Answers other than 200 and 503. */
  readonly other: readonly RequestOutcome[];
  /** 200 answers that are not JSON or do not list exactly the ids sent. */
  readonly bad200: readonly RequestOutcome[];
  /** 503 answers without a JSON error code or a numeric Retry-After. */
  readonly bad503: readonly RequestOutcome[];
  readonly ackedIds: readonly string[];
  /** Answered 200, not in the topic. */
  readonly ackedMissing: readonly string[];
  /** Answered 200, in the topic more than once. */
  readonly ackedTwice: readonly string[];
  /** Answered 503, in the topic all the same (allowed: "not known to be written"). */
  readonly refusedWritten: readonly string[];
  readonly refusedTwice: readonly string[];
  readonly unansweredWritten: readonly string[];
  /** Not in the topic and answered 200: what must never happen. */
  readonly notInTopicAnswered200: readonly string[];
  /** In the topic, never sent. */
  readonly strangers: readonly string[];
}

export function answersAgainstTopic(
  outcomes: readonly RequestOutcome[],
  inTopic: TopicIndex,
): AnswersAgainstTopic {
  const copies = (id: string) => inTopic.get(id)?.length ?? 0;
  const ok = outcomes.filter((o) => o.status === 200);
  const refused = outcomes.filter((o) => o.status === 503);
  const unanswered = outcomes.filter((o) => o.status === null);
  const ackedIds = ok.flatMap((o) => o.ids);
  const acked = new Set(ackedIds);
  const refusedIds = refused.flatMap((o) => o.ids);
  const sent = new Set(outcomes.flatMap((o) => o.ids));
  return {
    requests: outcomes.length,
    ok,
    refused,
    unanswered,
    other: outcomes.filter((o) => o.status !== null && o.status !== 200 && o.status !== 503),
    bad200: ok.filter((o) => !o.json || !o.echoesIds),
    bad503: refused.filter((o) => !o.json || o.code === null || !/^\d+$/.test(o.retryAfter ?? '')),
    ackedIds,
    ackedMissing: ackedIds.filter((id) => copies(id) === 0),
    ackedTwice: ackedIds.filter((id) => copies(id) > 1),
    refusedWritten: refusedIds.filter((id) => copies(id) > 0),
    refusedTwice: refusedIds.filter((id) => copies(id) > 1),
    unansweredWritten: unanswered.flatMap((o) => o.ids).filter((id) => copies(id) > 0),
    notInTopicAnswered200: [...sent].filter((id) => copies(id) === 0 && acked.has(id)),
    strangers: [...inTopic.keys()].filter((id) => !sent.has(id)),
  };
}
