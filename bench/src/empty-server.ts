/**
 * The empty-route ceiling, run as its own process by `pnpm bench`: fastify with POST /events that
 * parses the JSON body (fastify's default parser) and answers {}, and GET /readyz. Port from
 * BENCH_EMPTY_PORT. fastify is loaded from the gateway's own dependency (@loglake/ingest), so that
 * the ceiling runs the same version as the gateway without the bench depending on it.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { findRepoRoot } from '@loglake/stack';

interface MinimalFastify {
  get(path: string, handler: () => Promise<unknown>): void;
  post(path: string, handler: (request: { body: unknown }) => Promise<unknown>): void;
  listen(options: { host: string; port: number }): Promise<string>;
  close(): Promise<void>;
}

const require = createRequire(join(findRepoRoot(), 'packages/ingest/package.json'));
const mod = (await import(pathToFileURL(require.resolve('fastify')).href)) as {
  default: (options: { logger: boolean; bodyLimit: number }) => MinimalFastify;
};
const app = mod.default({ logger: false, bodyLimit: 5 * 1024 * 1024 });
let events = 0;
app.post('/events', async (request) => {
  events += Array.isArray(request.body) ? request.body.length : 1;
  return {};
});
app.get('/readyz', async () => ({ ready: true, events }));
await app.listen({ host: '127.0.0.1', port: Number(process.env.BENCH_EMPTY_PORT ?? 18081) });
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
