/** What a fault must be seen to do: a port that refuses, a process stopped, partitions that moved. */
import { connect, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Resolves true when a TCP connection to 127.0.0.1:`port` is refused, false when it opens. */
export function portRefuses(port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (refused: boolean) => {
      socket.destroy();
      resolve(refused);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(false));
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code === 'ECONNREFUSED'));
  });
}

/** A sample of one metric (summed over its series) from a Prometheus text endpoint, or null. */
export async function scrape(url: string, name: string): Promise<number | null> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    if (!res.ok) return null;
    let sum: number | null = null;
    for (const line of (await res.text()).split('\n')) {
      if (line.startsWith('#')) continue;
      if (line.startsWith(`${name} `) || line.startsWith(`${name}{`))
        sum = (sum ?? 0) + Number(line.split(' ').at(-1));
    }
    return sum;
  } catch {
    return null;
  }
}

/** Polls `probe` every 250 ms until it returns a non-null value, or null after `limitMs`. */
export async function waitFor<T>(
  probe: () => Promise<T | null> | T | null,
  limitMs: number,
): Promise<T | null> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() >= deadline) return null;
    await sleep(250);
  }
}

/** A port that was free a moment ago, on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
