import { setTimeout as sleep } from 'node:timers/promises';
import { LoglakeError, errorMessage } from '@loglake/core';
import { isExited } from './daemon.ts';
import { tailOf } from './log-tail.ts';

export interface WaitOptions {
  /** What is being waited for, as the error will name it ("Kafka broker 1 on 127.0.0.1:9092"). */
  readonly what: string;
  readonly timeoutMs: number;
  readonly logFile: string;
  /** If this process exits while we wait, fail at once instead of at the time limit. */
  readonly pid?: number;
  readonly intervalMs?: number;
}

/**
 * Polls `probe` until it resolves. On time-out, or when the watched process exits,
 * throws an error naming what did not start, where its log is, and its last lines.
 */
export async function waitUntilReady(
  probe: () => Promise<void>,
  options: WaitOptions,
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      await probe();
      return;
    } catch (error) {
      lastError = error;
    }
    const died = options.pid !== undefined && isExited(options.pid);
    if (died || Date.now() >= deadline) {
      const why = died
        ? 'exited during start-up'
        : `not ready after ${Math.round(options.timeoutMs / 1000)} s`;
      throw new LoglakeError(
        'LOGLAKE_STACK_START_FAILED',
        `${options.what} ${why} (last probe: ${errorMessage(lastError)}); log: ${options.logFile}\n${tailOf(options.logFile)}`,
        { cause: lastError },
      );
    }
    await sleep(options.intervalMs ?? 250);
  }
}
