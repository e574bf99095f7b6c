import { LoglakeError } from '@loglake/core';

/** How long `checkWritable()` waits for the store unless told otherwise. */
export const CHECK_WRITABLE_TIMEOUT_MS = 30_000;

/**
 * Runs `work` with a signal that aborts after `timeoutMs`, and rejects at that moment with a
 * retryable `LOGLAKE_STORE_UNAVAILABLE` even if `work` does not heed the signal (a file system
 * call cannot be cancelled: it finishes in the background and its outcome is dropped).
 */
export async function withStoreDeadline<T>(
  timeoutMs: number,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new LoglakeError(
      'LOGLAKE_CONFIG_INVALID',
      `a store time limit must be a positive number of ms, not ${timeoutMs}`,
    );
  }
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const error = new LoglakeError(
        'LOGLAKE_STORE_UNAVAILABLE',
        `store did not answer within ${timeoutMs} ms`,
        { retryable: true, details: { timeoutMs } },
      );
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  try {
    return await Promise.race([work(controller.signal), expired]);
  } catch (error) {
    // Once the limit has passed, whatever `work` failed with is a consequence of the abort.
    throw controller.signal.aborted ? (controller.signal.reason as LoglakeError) : error;
  } finally {
    clearTimeout(timer);
  }
}
