import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { envBoolean, envNonNegativeInt, envPositiveInt, parseEnv, type Env } from '@loglake/core';
import { DEFAULT_EVENT_LIMITS } from '@loglake/events';
import type { IngestOptions } from '@loglake/ingest';
import { parseKafkaEnv, type KafkaClientConfig } from '@loglake/kafka';

export interface GatewayConfig {
  readonly host: string;
  readonly port: number;
  readonly adminHost: string;
  readonly adminPort: number;
  readonly maxBodyBytes: number;
  readonly shutdownTimeoutMs: number;
  readonly logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  readonly kafka: KafkaClientConfig;
  readonly idempotent: boolean;
  readonly compression: 'none' | 'gzip';
  /** Gateway processes on the port (`GATEWAY_WORKERS`); above 1, a primary runs them. */
  readonly workers: number;
  /** Each worker's options: the per-key rate limit is a share of `GATEWAY_RATE_LIMIT_EVENTS_PER_S`. */
  readonly ingest: IngestOptions;
}

const MiB = 1024 * 1024;

const schema = z
  .object({
    GATEWAY_HOST: z.string().default('127.0.0.1'),
    GATEWAY_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    GATEWAY_ADMIN_HOST: z.string().default('127.0.0.1'),
    GATEWAY_ADMIN_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
    GATEWAY_TOPIC: z.string().min(1).default('log-data'),
    GATEWAY_DLQ_TOPIC: z.string().min(1).default('log-data-dlq'),
    GATEWAY_API_KEYS: z.string().default(''),
    GATEWAY_OPEN_MODE: envBoolean.default(false),
    GATEWAY_ALLOW_BODY_SOURCE: envBoolean.default(false),
    GATEWAY_MAX_BODY_BYTES: envPositiveInt.default(5 * MiB),
    GATEWAY_MAX_DECOMPRESSED_BYTES: envPositiveInt.default(20 * MiB),
    GATEWAY_MAX_EVENTS_PER_REQUEST: envPositiveInt.default(10_000),
    GATEWAY_EVENT_MAX_BYTES: envPositiveInt.default(DEFAULT_EVENT_LIMITS.maxEventBytes),
    GATEWAY_EVENT_MAX_DEPTH: envPositiveInt.default(DEFAULT_EVENT_LIMITS.maxDepth),
    GATEWAY_MESSAGE_MAX_LENGTH: envPositiveInt.default(DEFAULT_EVENT_LIMITS.maxMessageLength),
    GATEWAY_EVENT_MAX_STRING_LENGTH: envPositiveInt.default(
      DEFAULT_EVENT_LIMITS.maxExtraStringLength,
    ),
    GATEWAY_EVENT_MAX_PAST_MS: envPositiveInt.default(DEFAULT_EVENT_LIMITS.maxPastMs),
    GATEWAY_EVENT_MAX_FUTURE_MS: envPositiveInt.default(DEFAULT_EVENT_LIMITS.maxFutureMs),
    GATEWAY_INFLIGHT_MAX_BYTES: envPositiveInt.default(64 * MiB),
    GATEWAY_INFLIGHT_MAX_EVENTS: envPositiveInt.default(200_000),
    GATEWAY_RATE_LIMIT_EVENTS_PER_S: envNonNegativeInt.default(100_000),
    GATEWAY_RATE_LIMIT_BURST: envNonNegativeInt.optional(),
    GATEWAY_KAFKA_TIMEOUT_MS: envPositiveInt.default(5000),
    GATEWAY_PARTITION_KEY: z
      .enum(['user_or_session', 'user_id', 'session_id', 'event_id', 'none'])
      .default('user_or_session'),
    GATEWAY_LINGER_MS: envNonNegativeInt.default(2),
    GATEWAY_BATCH_MAX_BYTES: envPositiveInt.default(MiB),
    GATEWAY_MAX_INFLIGHT_BATCHES: envPositiveInt.default(1),
    GATEWAY_KAFKA_IDEMPOTENT: envBoolean.default(true),
    GATEWAY_KAFKA_COMPRESSION: z.enum(['none', 'gzip']).default('none'),
    GATEWAY_SHUTDOWN_TIMEOUT_MS: envPositiveInt.default(30_000),
    GATEWAY_WORKERS: z.union([z.literal('auto'), envPositiveInt]).default(1),
    LOG_LEVEL: z
      .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
      .default('info'),
  })
  .superRefine((v, ctx) => {
    if (v.GATEWAY_MAX_DECOMPRESSED_BYTES < v.GATEWAY_MAX_BODY_BYTES) {
      ctx.addIssue({
        code: 'custom',
        path: ['GATEWAY_MAX_DECOMPRESSED_BYTES'],
        message: 'must be at least GATEWAY_MAX_BODY_BYTES',
      });
    }
    if (v.GATEWAY_INFLIGHT_MAX_BYTES < v.GATEWAY_MAX_DECOMPRESSED_BYTES) {
      ctx.addIssue({
        code: 'custom',
        path: ['GATEWAY_INFLIGHT_MAX_BYTES'],
        message:
          'must be at least GATEWAY_MAX_DECOMPRESSED_BYTES, or one full request could never fit',
      });
    }
    if (!v.GATEWAY_OPEN_MODE && v.GATEWAY_API_KEYS.trim() === '') {
      ctx.addIssue({
        code: 'custom',
        path: ['GATEWAY_API_KEYS'],
        message:
          'set keys as key:source,key2:source2, or GATEWAY_OPEN_MODE=true to accept requests without a key',
      });
    }
    for (const entry of v.GATEWAY_API_KEYS.split(',').filter((e) => e.trim() !== '')) {
      if (!/^[^:\s]{8,}:[^:\s]+$/.test(entry.trim())) {
        ctx.addIssue({
          code: 'custom',
          path: ['GATEWAY_API_KEYS'],
          message: `"${entry.trim().slice(0, 4)}…" is not key:source (keys are at least 8 characters)`,
        });
      }
    }
    if (v.GATEWAY_KAFKA_IDEMPOTENT && v.GATEWAY_MAX_INFLIGHT_BATCHES !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['GATEWAY_MAX_INFLIGHT_BATCHES'],
        message:
          'must be 1 with GATEWAY_KAFKA_IDEMPOTENT=true (after a failed send, batches already sent behind it could be written out of order)',
      });
    }
  });

function parseApiKeys(text: string): Map<string, string> {
  const keys = new Map<string, string>();
  for (const entry of text.split(',')) {
    const [key, source] = entry.trim().split(':');
    if (key && source) keys.set(key, source);
  }
  return keys;
}

/** Reads the gateway's configuration from the environment; throws one error listing every problem. */
export function loadConfig(env: Env): GatewayConfig {
  const v = parseEnv(schema, env, 'gateway');
  const kafka = parseKafkaEnv(env, { clientId: 'loglake-gateway' });
  const workers = v.GATEWAY_WORKERS === 'auto' ? availableParallelism() : v.GATEWAY_WORKERS;
  // Each worker limits a key to its share: connections are handed to the workers in turn, so a key
  // that sends over several connections spreads over them (one connection: one worker's share).
  const share = (perS: number) => Math.ceil(perS / workers);
  const rateLimitPerS = v.GATEWAY_RATE_LIMIT_EVENTS_PER_S;
  return {
    host: v.GATEWAY_HOST,
    port: v.GATEWAY_PORT,
    adminHost: v.GATEWAY_ADMIN_HOST,
    adminPort: v.GATEWAY_ADMIN_PORT,
    maxBodyBytes: v.GATEWAY_MAX_BODY_BYTES,
    shutdownTimeoutMs: v.GATEWAY_SHUTDOWN_TIMEOUT_MS,
    logLevel: v.LOG_LEVEL,
    kafka,
    idempotent: v.GATEWAY_KAFKA_IDEMPOTENT,
    compression: v.GATEWAY_KAFKA_COMPRESSION,
    workers,
    ingest: {
      topic: v.GATEWAY_TOPIC,
      dlqTopic: v.GATEWAY_DLQ_TOPIC,
      apiKeys: parseApiKeys(v.GATEWAY_API_KEYS),
      openMode: v.GATEWAY_OPEN_MODE,
      allowBodySource: v.GATEWAY_ALLOW_BODY_SOURCE,
      body: {
        maxDecompressedBytes: v.GATEWAY_MAX_DECOMPRESSED_BYTES,
        maxEvents: v.GATEWAY_MAX_EVENTS_PER_REQUEST,
      },
      events: {
        maxEventBytes: v.GATEWAY_EVENT_MAX_BYTES,
        maxDepth: v.GATEWAY_EVENT_MAX_DEPTH,
        maxMessageLength: v.GATEWAY_MESSAGE_MAX_LENGTH,
        maxExtraStringLength: v.GATEWAY_EVENT_MAX_STRING_LENGTH,
        maxPastMs: v.GATEWAY_EVENT_MAX_PAST_MS,
        maxFutureMs: v.GATEWAY_EVENT_MAX_FUTURE_MS,
      },
      inFlightMaxBytes: v.GATEWAY_INFLIGHT_MAX_BYTES,
      inFlightMaxEvents: v.GATEWAY_INFLIGHT_MAX_EVENTS,
      rateLimitPerS: share(rateLimitPerS),
      rateLimitBurst: share(v.GATEWAY_RATE_LIMIT_BURST ?? 2 * rateLimitPerS),
      kafkaTimeoutMs: v.GATEWAY_KAFKA_TIMEOUT_MS,
      partitionKey: v.GATEWAY_PARTITION_KEY,
      lingerMs: v.GATEWAY_LINGER_MS,
      maxBatchBytes: v.GATEWAY_BATCH_MAX_BYTES,
      maxInFlightBatches: v.GATEWAY_MAX_INFLIGHT_BATCHES,
      healthProbeIntervalMs: 1000,
    },
  };
}

/** The configuration as logged at start: API keys reduced to their sources. */
export function redacted(config: GatewayConfig): Record<string, unknown> {
  return {
    ...config,
    kafka: {
      ...config.kafka,
      ...(config.kafka.sasl ? { sasl: { ...config.kafka.sasl, password: '[redacted]' } } : {}),
    },
    ingest: {
      ...config.ingest,
      apiKeys: [...new Set(config.ingest.apiKeys.values())].map((s) => `***:${s}`),
    },
  };
}
