import { Kafka, logLevel, type LogEntry, type SASLOptions } from 'kafkajs';
import type { Logger } from '@loglake/core';
import type { KafkaClientConfig } from './config.ts';

/** Builds the kafkajs client. Only this package imports kafkajs. */
export function createKafkaJs(config: KafkaClientConfig, logger?: Logger): Kafka {
  return new Kafka({
    clientId: config.clientId,
    brokers: [...config.brokers],
    ssl: config.ssl,
    ...(config.sasl ? { sasl: config.sasl as SASLOptions } : {}),
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
