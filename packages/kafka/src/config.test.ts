import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TOPIC_RETENTION_MS,
  kafkaClientEnv,
  parseKafkaEnv,
  parseTopicEnv,
} from './config.ts';

const caFile = join(mkdtempSync(join(tmpdir(), 'loglake-kafka-config-')), 'ca.pem');
writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\n');

describe('parseKafkaEnv', () => {
  it('defaults to the local broker', () => {
    const c = parseKafkaEnv({});
    expect(c.brokers).toEqual(['127.0.0.1:9092']);
    expect(c.ssl).toBe(false);
    expect(c.sasl).toBeUndefined();
  });

  it('reads a cluster with SASL over TLS', () => {
    const c = parseKafkaEnv({
      KAFKA_BROKERS: 'b1:9093, b2:9093',
      KAFKA_SSL: 'true',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD: 'p',
    });
    expect(c.brokers).toEqual(['b1:9093', 'b2:9093']);
    expect(c.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'u', password: 'p' });
  });

  it('rejects a broker without a port and SASL without credentials', () => {
    expect(() => parseKafkaEnv({ KAFKA_BROKERS: 'kafka' })).toThrow(/not host:port/);
    expect(() => parseKafkaEnv({ KAFKA_SASL_MECHANISM: 'plain' })).toThrow(/KAFKA_SASL_USERNAME/);
  });

  it('reads a CA file for TLS, and refuses one that is missing or without TLS', () => {
    expect(parseKafkaEnv({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: caFile }).sslCaFile).toBe(caFile);
    expect(parseKafkaEnv({ KAFKA_SSL: 'true' }).sslCaFile).toBeUndefined();
    expect(() => parseKafkaEnv({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: `${caFile}.nope` })).toThrow(
      /KAFKA_SSL_CA_FILE: .*ca\.pem\.nope does not exist/,
    );
    expect(() => parseKafkaEnv({ KAFKA_SSL_CA_FILE: caFile })).toThrow(
      /KAFKA_SSL_CA_FILE: needs KAFKA_SSL=true/,
    );
    expect(() => parseKafkaEnv({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: tmpdir() })).toThrow(
      /is not a file/,
    );
  });

  it('kafkaClientEnv gives back the variables of a config', () => {
    const env = {
      KAFKA_BROKERS: '127.0.0.1:9094',
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: caFile,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'gateway',
      KAFKA_SASL_PASSWORD: 'p=a,s s',
      KAFKA_CONNECTION_TIMEOUT_MS: '1234',
      KAFKA_REQUEST_TIMEOUT_MS: '5678',
    };
    const config = parseKafkaEnv(env, { clientId: 'x' });
    expect(kafkaClientEnv(config)).toEqual(env);
    expect(parseKafkaEnv(kafkaClientEnv(config), { clientId: 'x' })).toEqual(config);
    expect(kafkaClientEnv(parseKafkaEnv({}))).toEqual({
      KAFKA_BROKERS: '127.0.0.1:9092',
      KAFKA_SSL: 'false',
      KAFKA_CONNECTION_TIMEOUT_MS: '3000',
      KAFKA_REQUEST_TIMEOUT_MS: '30000',
    });
  });
});

describe('parseTopicEnv', () => {
  it('keeps records 7 days unless KAFKA_TOPIC_RETENTION_MS says otherwise', () => {
    expect(DEFAULT_TOPIC_RETENTION_MS).toBe(604_800_000);
    expect(parseTopicEnv({}).retentionMs).toBe(604_800_000);
    expect(parseTopicEnv({ KAFKA_TOPIC_RETENTION_MS: '3600000' }).retentionMs).toBe(3_600_000);
    expect(() => parseTopicEnv({ KAFKA_TOPIC_RETENTION_MS: '-1' })).toThrow(
      /KAFKA_TOPIC_RETENTION_MS/,
    );
  });
});
