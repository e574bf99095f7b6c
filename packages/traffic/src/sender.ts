import http from 'node:http';
import https from 'node:https';

/** What became of one batch. */
export interface BatchOutcome {
  readonly status: number;
  readonly accepted: number;
  readonly rejected: number;
  /** Seconds the server asked us to wait (429/503), if any. */
  readonly retryAfterS?: number;
}

/** Where batches go: the gateway over HTTP, or Kafka directly. */
export interface BatchSender {
  send(events: readonly Record<string, unknown>[]): Promise<BatchOutcome>;
  close(): Promise<void>;
}

/** POSTs each batch as a JSON array over keep-alive connections. */
export function createHttpSender(
  target: string,
  apiKey: string | null,
  connections: number,
): BatchSender {
  const url = new URL(target);
  const client = url.protocol === 'https:' ? https : http;
  const agent = new client.Agent({ keepAlive: true, maxSockets: connections });
  return {
    send(events) {
      const body = JSON.stringify(events);
      return new Promise((resolve, reject) => {
        const req = client.request(
          {
            agent,
            method: 'POST',
            hostname: url.hostname,
            port: url.port,
            path: url.pathname + url.search,
            headers: {
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(body),
              ...(apiKey ? { 'x-api-key': apiKey } : {}),
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              const status = res.statusCode ?? 0;
              let parsed: { accepted?: number; rejected?: unknown[] } = {};
              try {
                parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof parsed;
              } catch {
                // not JSON: counted by status
              }
              const retryAfter = Number(res.headers['retry-after']);
              resolve({
                status,
                accepted: status === 200 ? (parsed.accepted ?? 0) : 0,
                rejected: status === 200 ? (parsed.rejected?.length ?? 0) : events.length,
                ...(Number.isFinite(retryAfter) ? { retryAfterS: retryAfter } : {}),
              });
            });
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    },
    async close() {
      agent.destroy();
    },
  };
}
