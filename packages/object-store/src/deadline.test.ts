import { afterEach, describe, expect, it, vi } from 'vitest';
import { withStoreDeadline } from './deadline.ts';

describe('withStoreDeadline', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('rejects with a retryable LOGLAKE_STORE_UNAVAILABLE at the limit and aborts the work', async () => {
    vi.useFakeTimers();
    let signal: AbortSignal | undefined;
    const outcome = withStoreDeadline(1000, (s) => {
      signal = s;
      return new Promise<never>(() => undefined); // a store that never answers
    });
    const settled = outcome.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(999);
    expect(signal?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await settled).toMatchObject({
      code: 'LOGLAKE_STORE_UNAVAILABLE',
      retryable: true,
      message: 'store did not answer within 1000 ms',
    });
    expect(signal?.aborted).toBe(true);
  });

  it('reports the deadline, not the abort error, when the work reacts to the signal', async () => {
    vi.useFakeTimers();
    const outcome = withStoreDeadline(
      50,
      (s) =>
        new Promise<never>((_resolve, reject) => {
          s.addEventListener('abort', () => reject(new Error('Request aborted')));
        }),
    );
    const settled = outcome.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(50);
    expect(await settled).toMatchObject({ code: 'LOGLAKE_STORE_UNAVAILABLE', retryable: true });
  });

  it("passes the work's own result or error through and leaves no timer behind", async () => {
    vi.useFakeTimers();
    await expect(withStoreDeadline(1000, async () => 'ok')).resolves.toBe('ok');
    await expect(
      withStoreDeadline(1000, async () => {
        throw new Error('denied');
      }),
    ).rejects.toThrow('denied');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('refuses a limit that is not a positive number', async () => {
    await expect(withStoreDeadline(0, async () => undefined)).rejects.toMatchObject({
      code: 'LOGLAKE_CONFIG_INVALID',
    });
  });
});
