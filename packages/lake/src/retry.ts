import { setTimeout as sleep } from 'node:timers/promises';

export class Abandoned extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'Abandoned';
  }
}

export interface RetryOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  /** Checked before each retry: a reason to give up (the partition was lost, the sink stops hard), or null. */
  readonly abandon: () => string | null;
  readonly onRetry: (error: unknown, attempt: number, delayMs: number) => void;
}

/**
 * Retries `fn` with exponential backoff (full jitter) until it succeeds or `abandon` says stop.
 * Lake writes are retried without a count limit: the data stays in Kafka, memory stays bounded
 * because consumption is paused, and the operator sees the retries and the lag grow.
 */
export async function retryUntil<T>(fn: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await fn();
    } catch (error) {
      const reason = options.abandon();
      if (reason !== null) throw new Abandoned(reason);
      const ceiling = Math.min(options.maxMs, options.initialMs * 2 ** Math.min(attempt - 1, 20));
      const delay = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
      options.onRetry(error, attempt, delay);
      await sleep(delay);
      const after = options.abandon();
      if (after !== null) throw new Abandoned(after);
    }
  }
}
