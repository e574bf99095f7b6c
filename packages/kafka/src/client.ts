import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Kafka, logLevel, type LogEntry, type SASLOptions } from 'kafkajs';
import { LoglakeError, type Logger } from '@loglake/core';
import type { KafkaClientConfig } from './config.ts';

/** kafkajs' `ssl`: off, the system's trust store, or the CA file's certificates. */
function tlsOptions(config: KafkaClientConfig): boolean | ConnectionOptions {
  if (!config.ssl) return false;
  if (config.sslCaFile === undefined) return true;
  try {
    return { ca: [readFileSync(config.sslCaFile, 'utf8')] };
  } catch (cause) {
    throw new LoglakeError(
      'LOGLAKE_CONFIG_INVALID',
      `cannot read KAFKA_SSL_CA_FILE ${config.sslCaFile}`,
      { cause },
    );
  }
}

/** Builds the kafkajs client. Only this package imports kafkajs. */
export function createKafkaJs(config: KafkaClientConfig, logger?: Logger): Kafka {
  return new Kafka({
    clientId: config.clientId,
    brokers: [...config.brokers],
    ssl: tlsOptions(config),
    // A copy: kafkajs caches its authenticator, built from these credentials, on the object it is
    // given (`sasl.authenticationProvider`). On the config itself, a spread copy with another
    // password would carry the cached one and log in with the old credentials.
    ...(config.sasl
      ? {
          sasl: {
            mechanism: config.sasl.mechanism,
            username: config.sasl.username,
            password: config.sasl.password,
          } as SASLOptions,
        }
      : {}),
    connectionTimeout: config.connectionTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    logLevel: logger ? logLevel.INFO : logLevel.NOTHING,
    logCreator: () => (entry: LogEntry) => {
      if (!logger) return;
      const { message, ...fields } = entry.log;
      const payload = { kafkajs_namespace: entry.namespace, ...fields };
      // kafkajs' INFO is chatty (every join/leave); it goes to debug.
      if (entry.level === logLevel.ERROR) logger.warn(payload, `kafkajs: ${message}`);
      else if (entry.level === logLevel.WARN) logger.warn(payload, `kafkajs: ${message}`);
      else logger.debug(payload, `kafkajs: ${message}`);
    },
  });
}
