import Fastify, { type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from '@loglake/core';
import type { Registry } from 'prom-client';
import {
  GatewayHttpError,
  isGatewayHttpError,
  type GatewayErrorCode,
  type RejectedEvent,
} from './http-errors.ts';
import type { Ingestor } from './ingestor.ts';
import type { GatewayMetrics } from './metrics.ts';
import { openApiDocument } from './openapi.ts';

export interface GatewayAppDeps {
  readonly ingestor: Ingestor;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  /** Largest request body as sent (compressed). */
  readonly maxBodyBytes: number;
}

/** Largest over-limit body read to its end so that the client sees the 413 (see the error handler). */
const DRAIN_LIMIT_BYTES = 64 * 1024 * 1024;

interface ErrorBody {
  error: { code: GatewayErrorCode; message: string };
  request_id?: string;
  accepted: 0;
  event_ids: [];
  rejected: readonly RejectedEvent[];
}

function apiKeyOf(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string') return header.trim();
  const auth = request.headers.authorization;
  if (typeof auth === 'string' && /^bearer\s+/i.test(auth))
    return auth.replace(/^bearer\s+/i, '').trim();
  return undefined;
}

/** Fastify's own errors (body limit, bad headers) in the gateway's vocabulary. */
export function toGatewayError(error: FastifyError): GatewayHttpError {
  if (isGatewayHttpError(error)) return error;
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new GatewayHttpError('BODY_TOO_LARGE', error.message);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new GatewayHttpError('UNSUPPORTED_MEDIA_TYPE', error.message);
    default:
      return new GatewayHttpError('INTERNAL_ERROR', 'internal error');
  }
}

function sendError(reply: FastifyReply, error: GatewayHttpError): FastifyReply {
  const body: ErrorBody = {
    error: { code: error.reason, message: error.message },
    ...(error.requestId ? { request_id: error.requestId } : {}),
    accepted: 0,
    event_ids: [],
    rejected: error.rejected,
  };
  if (error.retryAfterS !== undefined) void reply.header('retry-after', String(error.retryAfterS));
  return reply.code(error.statusCode).send(body);
}

/** The public app: POST /events, /healthz, /readyz, /openapi.json. `listen()` is the caller's. */
export function buildGatewayApp(deps: GatewayAppDeps) {
  const { ingestor, metrics } = deps;
  const app = Fastify({
    loggerInstance: deps.logger,
    logController: new Fastify.LogController({ disableRequestLogging: true }),
    bodyLimit: deps.maxBodyBytes,
    requestTimeout: 30_000,
    keepAliveTimeout: 65_000,
    return503OnClosing: true,
  });

  // The body arrives as bytes; the ingestor decompresses, decodes and parses it within its limits.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  // While shutting down, every answer closes its connection so that keep-alive clients move on.
  app.addHook('onSend', async (_request, reply) => {
    if (ingestor.isShuttingDown) void reply.header('connection', 'close');
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const gatewayError = toGatewayError(error);
    if (gatewayError.statusCode >= 500 && gatewayError.reason === 'INTERNAL_ERROR') {
      request.log.error({ event: 'gateway_internal_error', err: error }, 'unexpected error');
    }
    // Fastify closes the connection after a body error, before the client has sent the rest; many
    // clients then see a reset (EPIPE) instead of the 413. Bodies of a declared, bounded length are
    // read and discarded instead, so the client gets its answer; longer or chunked ones are cut.
    const declared = Number(request.headers['content-length']);
    if (
      gatewayError.reason === 'BODY_TOO_LARGE' &&
      Number.isFinite(declared) &&
      declared <= DRAIN_LIMIT_BYTES
    ) {
      reply.removeHeader('connection');
    }
    if (request.routeOptions.url === '/events') {
      metrics.requests.inc({ status: String(gatewayError.statusCode), code: gatewayError.reason });
      if (gatewayError.statusCode === 429 || gatewayError.statusCode === 503) {
        metrics.refused.inc({ reason: gatewayError.reason.toLowerCase() });
      }
    }
    return sendError(reply, gatewayError);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      new GatewayHttpError('NOT_FOUND', `no route ${request.method} ${request.url}`),
    ),
  );

  app.post('/events', async (request, reply) => {
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const contentEncoding = request.headers['content-encoding'];
    const result = await ingestor.handle({
      raw,
      contentType: request.headers['content-type'],
      contentEncoding: Array.isArray(contentEncoding) ? contentEncoding.join(',') : contentEncoding,
      apiKey: apiKeyOf(request),
    });
    metrics.requests.inc({ status: '200', code: 'none' });
    return reply.code(200).send(result);
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const ready = ingestor.ready;
    metrics.ready.set(ready ? 1 : 0);
    const reason = ingestor.isShuttingDown ? 'shutting_down' : ready ? null : 'kafka_unavailable';
    return reply.code(ready ? 200 : 503).send({ ready, ...(reason ? { reason } : {}) });
  });
  app.get('/openapi.json', async () => openApiDocument());
  return app;
}

/** What the admin port reports: one gateway process, or the primary of several workers. */
export interface AdminStatus {
  metrics(): Promise<string>;
  readonly contentType: string;
  ready(): boolean | Promise<boolean>;
}

/** The admin status of a single gateway process. */
export function processStatus(registry: Registry, ingestor: Ingestor): AdminStatus {
  return {
    metrics: () => registry.metrics(),
    contentType: registry.contentType,
    ready: () => ingestor.ready,
  };
}

/** The admin app on its own port: /metrics for Prometheus, plus the probes. */
export function buildAdminApp(deps: { status: AdminStatus; logger: Logger }) {
  const app = Fastify({
    loggerInstance: deps.logger,
    logController: new Fastify.LogController({ disableRequestLogging: true }),
  });
  app.get('/metrics', async (_request, reply) =>
    reply.header('content-type', deps.status.contentType).send(await deps.status.metrics()),
  );
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const ready = await deps.status.ready();
    return reply.code(ready ? 200 : 503).send({ ready });
  });
  return app;
}
