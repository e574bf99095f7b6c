import type { ConnectionOptions } from 'node:tls';
import { Kafka, logLevel, type LogEntry, type SASLOptions } from 'kafkajs';
import type { Logger } from '@loglake/core';
import { readCaFile, type KafkaClientConfig } from './config.ts';

/** kafkajs' `ssl`: off, the system's trust store, or the CA file's certificates. */
function tlsOptions(config: KafkaClientConfig): boolean | ConnectionOptions {
  if (!config.ssl) return false;
  const ca = readCaFile(config);
  return ca ? { ca } : true;
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
