import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import {
  LoglakeError,
  envBoolean,
  envList,
  envPositiveInt,
  parseEnv,
  type Env,
} from '@loglake/core';

export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

/** How to reach a Kafka cluster. Shared by every service; parsed from `KAFKA_*` variables. */
export interface KafkaClientConfig {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly ssl: boolean;
  /** PEM file of the CA(s) that signed the brokers' certificates; unset: the system's trust store. */
  readonly sslCaFile?: string;
  readonly sasl?: {
    readonly mechanism: SaslMechanism;
    readonly username: string;
    readonly password: string;
  };
  readonly connectionTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

const schema = z
  .object({
    KAFKA_BROKERS: envList.default(['127.0.0.1:9092']),
    KAFKA_CLIENT_ID: z.string().default('loglake'),
    KAFKA_SSL: envBoolean.default(false),
    KAFKA_SSL_CA_FILE: z.string().optional(),
    KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
    KAFKA_SASL_USERNAME: z.string().optional(),
    KAFKA_SASL_PASSWORD: z.string().optional(),
    KAFKA_CONNECTION_TIMEOUT_MS: envPositiveInt.default(3000),
    KAFKA_REQUEST_TIMEOUT_MS: envPositiveInt.default(30000),
  })
  .superRefine((v, ctx) => {
    if (v.KAFKA_BROKERS.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['KAFKA_BROKERS'],
        message: 'list at least one host:port',
      });
    }
    for (const broker of v.KAFKA_BROKERS) {
      if (!/^[^:\s]+:\d+$/.test(broker)) {
        ctx.addIssue({
          code: 'custom',
          path: ['KAFKA_BROKERS'],
          message: `"${broker}" is not host:port`,
        });
      }
    }
    if (v.KAFKA_SSL_CA_FILE !== undefined) {
      if (!v.KAFKA_SSL) {
        ctx.addIssue({
          code: 'custom',
          path: ['KAFKA_SSL_CA_FILE'],
          message: 'needs KAFKA_SSL=true (a CA is only used for TLS)',
        });
      }
      const problem = unreadableFile(v.KAFKA_SSL_CA_FILE);
      if (problem) ctx.addIssue({ code: 'custom', path: ['KAFKA_SSL_CA_FILE'], message: problem });
    }
    if (v.KAFKA_SASL_MECHANISM && (!v.KAFKA_SASL_USERNAME || !v.KAFKA_SASL_PASSWORD)) {
      ctx.addIssue({
        code: 'custom',
        path: ['KAFKA_SASL_MECHANISM'],
        message: 'set KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD too',
      });
    }
  });

export function parseKafkaEnv(env: Env, defaults: { clientId?: string } = {}): KafkaClientConfig {
  const v = parseEnv(schema, { KAFKA_CLIENT_ID: defaults.clientId, ...env }, 'Kafka');
  return {
    brokers: v.KAFKA_BROKERS,
    clientId: v.KAFKA_CLIENT_ID,
    ssl: v.KAFKA_SSL,
    ...(v.KAFKA_SSL_CA_FILE === undefined ? {} : { sslCaFile: v.KAFKA_SSL_CA_FILE }),
    ...(v.KAFKA_SASL_MECHANISM && v.KAFKA_SASL_USERNAME && v.KAFKA_SASL_PASSWORD
      ? {
          sasl: {
            mechanism: v.KAFKA_SASL_MECHANISM,
            username: v.KAFKA_SASL_USERNAME,
            password: v.KAFKA_SASL_PASSWORD,
          },
        }
      : {}),
    connectionTimeoutMs: v.KAFKA_CONNECTION_TIMEOUT_MS,
    requestTimeoutMs: v.KAFKA_REQUEST_TIMEOUT_MS,
  };
}

function unreadableFile(path: string): string | null {
  try {
    if (!statSync(path).isFile()) return `${path} is not a file`;
    accessSync(path, constants.R_OK);
    return null;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return code === 'ENOENT'
      ? `${path} does not exist`
      : `${path} cannot be read (${String(code)})`;
  }
}

/**
 * The `KAFKA_*` variables that make `parseKafkaEnv` return `config` again: for starting a
 * service against the same cluster (the local stack, tests).
 */
export function kafkaClientEnv(config: KafkaClientConfig): Record<string, string> {
  return {
    KAFKA_BROKERS: config.brokers.join(','),
    KAFKA_SSL: String(config.ssl),
    ...(config.sslCaFile === undefined ? {} : { KAFKA_SSL_CA_FILE: config.sslCaFile }),
    ...(config.sasl
      ? {
          KAFKA_SASL_MECHANISM: config.sasl.mechanism,
          KAFKA_SASL_USERNAME: config.sasl.username,
          KAFKA_SASL_PASSWORD: config.sasl.password,
        }
      : {}),
    KAFKA_CONNECTION_TIMEOUT_MS: String(config.connectionTimeoutMs),
    KAFKA_REQUEST_TIMEOUT_MS: String(config.requestTimeoutMs),
  };
}

/** Seven days: how long loglake's topics keep records unless `KAFKA_TOPIC_RETENTION_MS` says otherwise. */
export const DEFAULT_TOPIC_RETENTION_MS = 7 * 24 * 3600_000;

/** Settings of the topics loglake creates (the local stack, compose, tests, benches). */
export interface TopicSettings {
  /** `retention.ms` of the topics loglake creates. */
  readonly retentionMs: number;
}

const topicSchema = z.object({
  KAFKA_TOPIC_RETENTION_MS: envPositiveInt.default(DEFAULT_TOPIC_RETENTION_MS),
});

/** Reads `KAFKA_TOPIC_RETENTION_MS` (default 7 days). */
export function parseTopicEnv(env: Env): TopicSettings {
  const v = parseEnv(topicSchema, env, 'Kafka topic');
  return { retentionMs: v.KAFKA_TOPIC_RETENTION_MS };
}

/** The PEM text of `KAFKA_SSL_CA_FILE`, for either Kafka client's TLS options; unset: none. */
export function readCaFile(config: KafkaClientConfig): string[] | undefined {
  if (config.sslCaFile === undefined) return undefined;
  try {
    return [readFileSync(config.sslCaFile, 'utf8')];
  } catch (cause) {
    throw new LoglakeError(
      'LOGLAKE_CONFIG_INVALID',
      `cannot read KAFKA_SSL_CA_FILE ${config.sslCaFile}`,
      { cause },
    );
  }
}
