import { z } from 'zod';
import { envBoolean, envList, envPositiveInt, parseEnv, type Env } from '@loglake/core';

export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

/** How to reach a Kafka cluster. Shared by every service; parsed from `KAFKA_*` variables. */
export interface KafkaClientConfig {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly ssl: boolean;
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
