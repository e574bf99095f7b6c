import { EVENT_REJECT_CODES, EXTRA_FIELD, FIELD_TYPES, FIELDS } from '@loglake/events';
import { GATEWAY_ERRORS } from './http-errors.ts';

const errorStatuses = [...new Set(Object.values(GATEWAY_ERRORS))].sort();

function codesFor(status: number): string[] {
  return Object.entries(GATEWAY_ERRORS)
    .filter(([, s]) => s === status)
    .map(([c]) => c);
}

/** The gateway's OpenAPI 3.1 description, derived from the event fields and the error registry. */
export function openApiDocument(): Record<string, unknown> {
  const eventProperties = Object.fromEntries(
    FIELDS.filter((f) => f.name !== 'received_at').map((f) => [
      f.name,
      FIELD_TYPES[f.type].jsonSchema(f),
    ]),
  );
  const responses: Record<string, unknown> = {
    '200': {
      description:
        'Every listed event id is durable in Kafka (acks=all). Invalid events, if any, are listed in `rejected` by index and were not written to the topic.',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/IngestResponse' } } },
    },
  };
  for (const status of errorStatuses) {
    if (status === 404) continue;
    const retry = status === 429 || status === 503;
    responses[String(status)] = {
      description: `Codes: ${codesFor(status).join(', ')}.${retry ? ' Retry after the `Retry-After` seconds; nothing of this request was accepted.' : ''}`,
      ...(retry
        ? {
            headers: {
              'Retry-After': {
                schema: { type: 'integer' },
                description: 'Seconds to wait before retrying.',
              },
            },
          }
        : {}),
      content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } } },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'loglake gateway',
      version: '1.0.0',
      description:
        'Send log and tracking events. A 200 means the accepted events are durable in Kafka; 429 and 503 mean retry later; other 4xx name what is wrong.',
    },
    components: {
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        bearer: { type: 'http', scheme: 'bearer' },
      },
      schemas: {
        Event: {
          type: 'object',
          required: ['event_type'],
          properties: eventProperties,
          additionalProperties: {
            description: `Unknown fields are kept in the \`${EXTRA_FIELD}\` JSON column.`,
          },
        },
        RejectedEvent: {
          type: 'object',
          required: ['index', 'code', 'message'],
          properties: {
            index: {
              type: 'integer',
              description:
                'Position of the event in the request (array index or NDJSON line among non-blank lines).',
            },
            code: { type: 'string', enum: EVENT_REJECT_CODES },
            message: { type: 'string' },
            field: { type: 'string' },
          },
        },
        IngestResponse: {
          type: 'object',
          required: ['request_id', 'accepted', 'event_ids', 'rejected'],
          properties: {
            request_id: { type: 'string' },
            accepted: { type: 'integer' },
            event_ids: {
              type: 'array',
              items: { type: 'string' },
              description: 'Ids of the accepted events, in request order.',
            },
            rejected: { type: 'array', items: { $ref: '#/components/schemas/RejectedEvent' } },
          },
        },
        ErrorResponse: {
          type: 'object',
          required: ['error', 'accepted', 'event_ids', 'rejected'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: { type: 'string', enum: Object.keys(GATEWAY_ERRORS) },
                message: { type: 'string' },
              },
            },
            request_id: { type: 'string' },
            accepted: { type: 'integer', const: 0 },
            event_ids: { type: 'array', maxItems: 0 },
            rejected: { type: 'array', items: { $ref: '#/components/schemas/RejectedEvent' } },
          },
        },
      },
    },
    security: [{ apiKey: [] }, { bearer: [] }],
    paths: {
      '/events': {
        post: {
          summary: 'Send one event, an array of events, or NDJSON',
          parameters: [
            {
              name: 'Content-Encoding',
              in: 'header',
              schema: { type: 'string', enum: ['identity', 'gzip', 'deflate', 'br'] },
            },
          ],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  oneOf: [
                    { $ref: '#/components/schemas/Event' },
                    { type: 'array', items: { $ref: '#/components/schemas/Event' } },
                  ],
                },
              },
              'application/x-ndjson': {
                schema: { type: 'string', description: 'One JSON event per line.' },
              },
            },
          },
          responses,
        },
      },
      '/healthz': {
        get: {
          summary: 'Liveness',
          security: [],
          responses: { '200': { description: 'The process is alive.' } },
        },
      },
      '/readyz': {
        get: {
          summary: 'Readiness: send traffic here?',
          security: [],
          responses: {
            '200': { description: 'Ready.' },
            '503': { description: 'Kafka is unavailable or the gateway is shutting down.' },
          },
        },
      },
      '/openapi.json': {
        get: {
          summary: 'This document',
          security: [],
          responses: { '200': { description: 'OpenAPI 3.1' } },
        },
      },
    },
  };
}
