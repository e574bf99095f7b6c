import { describe, expect, it } from 'vitest';
import { parseKafkaEnv } from './config.ts';

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
});
