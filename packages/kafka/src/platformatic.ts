import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type { BaseOptions, SASLMechanismValue } from '@platformatic/kafka';
import { readCaFile, type KafkaClientConfig, type SaslMechanism } from './config.ts';

const MECHANISMS: Readonly<Record<SaslMechanism, SASLMechanismValue>> = {
  plain: 'PLAIN',
  'scram-sha-256': 'SCRAM-SHA-256',
  'scram-sha-512': 'SCRAM-SHA-512',
};

/** TLS for @platformatic/kafka: unset (plain TCP), the system's trust store, or the CA file's. */
function tlsOptions(config: KafkaClientConfig): TlsOptions | undefined {
  if (!config.ssl) return undefined;
  const ca = readCaFile(config);
  return ca ? { ca } : {};
}

/**
 * How @platformatic/kafka reaches the cluster of `config`: brokers, TLS, SASL and time limits, the
 * same settings that `createKafkaJs` gives kafkajs. Only this package imports @platformatic/kafka.
 */
export function platformaticConnection(config: KafkaClientConfig): BaseOptions {
  const tls = tlsOptions(config);
  return {
    clientId: config.clientId,
    bootstrapBrokers: [...config.brokers],
    ...(tls ? { tls } : {}),
    ...(config.sasl
      ? {
          sasl: {
            mechanism: MECHANISMS[config.sasl.mechanism],
            username: config.sasl.username,
            password: config.sasl.password,
          },
        }
      : {}),
    connectTimeout: config.connectionTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
  };
}
