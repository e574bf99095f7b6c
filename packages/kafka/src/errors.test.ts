import { describe, expect, it } from 'vitest';
import {
  KafkaJSConnectionError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSSASLAuthenticationError,
} from 'kafkajs';
import {
  AuthenticationError,
  MultipleErrors,
  NetworkError,
  ProtocolError,
} from '@platformatic/kafka';
import { hasCode, isLoglakeError } from '@loglake/core';
import { parseKafkaEnv } from './config.ts';
import { explainKafkaError, kafkaAccessProblem } from './errors.ts';

const config = parseKafkaEnv({
  KAFKA_BROKERS: '127.0.0.1:9094',
  KAFKA_SSL: 'true',
  KAFKA_SASL_MECHANISM: 'scram-sha-512',
  KAFKA_SASL_USERNAME: 'gateway',
  KAFKA_SASL_PASSWORD: 'wrong',
});

// kafkajs' own error classes, shaped as its retrier and connection code throw them (its typings
// declare fewer constructor arguments than its code takes).
const make = (cls: unknown, ...args: unknown[]): Error =>
  new (cls as new (...a: unknown[]) => Error)(...args);
const sasl = make(
  KafkaJSSASLAuthenticationError,
  'SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512',
);
const denied = make(KafkaJSProtocolError, {
  type: 'TOPIC_AUTHORIZATION_FAILED',
  code: 29,
  retriable: false,
  message: 'Not authorized to access topics: [Topic authorization failed]',
});
const untrusted = make(
  KafkaJSConnectionError,
  'Connection error: self-signed certificate in certificate chain',
  { broker: '127.0.0.1:9094', code: 'SELF_SIGNED_CERT_IN_CHAIN' },
);

describe('kafkaAccessProblem', () => {
  it('finds a refusal under kafkajs wrappers', () => {
    expect(kafkaAccessProblem(make(KafkaJSNonRetriableError, sasl, { cause: sasl }))?.kind).toBe(
      'sasl',
    );
    expect(
      kafkaAccessProblem(
        make(KafkaJSNumberOfRetriesExceeded, denied, { retryCount: 5, retryTime: 100 }),
      ),
    ).toMatchObject({ kind: 'denied', type: 'TOPIC_AUTHORIZATION_FAILED' });
    expect(kafkaAccessProblem(untrusted)).toMatchObject({
      kind: 'tls',
      code: 'SELF_SIGNED_CERT_IN_CHAIN',
      broker: '127.0.0.1:9094',
    });
  });

  it('finds a refusal among the per-topic errors of one request', () => {
    const aggregate = Object.assign(new Error('Topic creation errors'), {
      name: 'KafkaJSAggregateError',
      errors: [denied],
    });
    expect(kafkaAccessProblem(aggregate)).toMatchObject({
      kind: 'denied',
      type: 'TOPIC_AUTHORIZATION_FAILED',
    });
  });

  it('leaves other errors alone', () => {
    const refused = make(KafkaJSConnectionError, 'Connection error: connect ECONNREFUSED', {
      broker: '127.0.0.1:9094',
      code: 'ECONNREFUSED',
    });
    expect(kafkaAccessProblem(refused)).toBeNull();
    expect(explainKafkaError(refused, config, 'connecting')).toBe(refused);
    expect(kafkaAccessProblem('nope')).toBeNull();
  });
});

describe('explainKafkaError', () => {
  it('names the user and the variables to check on a refused login', () => {
    const e = explainKafkaError(sasl, config, 'connecting');
    expect(hasCode(e, 'LOGLAKE_KAFKA_AUTH_FAILED')).toBe(true);
    expect(isLoglakeError(e) && e.retryable).toBe(false);
    expect((e as Error).message).toMatch(
      /Kafka at 127\.0\.0\.1:9094 refused the SCRAM-SHA-512 login of User:gateway while connecting: check KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD/,
    );
  });

  it('names the principal and what it was doing when an ACL denies it', () => {
    const e = explainKafkaError(denied, config, 'consuming in group g');
    expect(hasCode(e, 'LOGLAKE_KAFKA_NOT_AUTHORIZED')).toBe(true);
    expect((e as Error).message).toMatch(
      /Kafka denied User:gateway while consuming in group g \(TOPIC_AUTHORIZATION_FAILED\)/,
    );
  });

  it('points at KAFKA_SSL_CA_FILE for an untrusted certificate, at KAFKA_SSL for a plain listener', () => {
    expect((explainKafkaError(untrusted, config, 'connecting') as Error).message).toMatch(
      /TLS to Kafka at 127\.0\.0\.1:9094 failed while connecting \(SELF_SIGNED_CERT_IN_CHAIN\): .*KAFKA_SSL_CA_FILE/,
    );
    const plain = make(KafkaJSConnectionError, 'Connection error: wrong version number', {
      broker: '127.0.0.1:9092',
      code: 'ERR_SSL_WRONG_VERSION_NUMBER',
    });
    expect((explainKafkaError(plain, config, 'connecting') as Error).message).toMatch(
      /does not speak TLS: check KAFKA_SSL/,
    );
  });
});

// @platformatic/kafka's errors, shaped as its connection and retry code throws them.
describe('kafkaAccessProblem with @platformatic/kafka errors', () => {
  it('finds a refused login, an ACL refusal and an untrusted certificate under its retry wrapper', () => {
    const login = new AuthenticationError('SASL authentication failed.', {
      cause: new ProtocolError(
        'SASL_AUTHENTICATION_FAILED',
        'Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512',
      ),
    });
    expect(
      kafkaAccessProblem(new MultipleErrors('produce failed 1 times.', [login])),
    ).toMatchObject({
      kind: 'sasl',
      message: expect.stringMatching(/invalid credentials/) as unknown,
    });
    const acl = new ProtocolError('TOPIC_AUTHORIZATION_FAILED', 'Not authorized');
    expect(
      kafkaAccessProblem(new MultipleErrors('produce failed 3 times.', [acl, acl])),
    ).toMatchObject({ kind: 'denied', type: 'TOPIC_AUTHORIZATION_FAILED' });
    const tls = Object.assign(new Error('self-signed certificate in certificate chain'), {
      code: 'SELF_SIGNED_CERT_IN_CHAIN',
    });
    const connect = new NetworkError('Connection to 127.0.0.1:9094 failed.', { cause: tls });
    expect(
      kafkaAccessProblem(new MultipleErrors('metadata failed 1 times.', [connect])),
    ).toMatchObject({
      kind: 'tls',
      code: 'SELF_SIGNED_CERT_IN_CHAIN',
      broker: '127.0.0.1:9094',
    });
  });

  it('leaves a refused connection and a leader change alone', () => {
    const refused = new NetworkError('Connection to 127.0.0.1:9094 failed.', {
      cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    });
    expect(kafkaAccessProblem(refused)).toBeNull();
    expect(kafkaAccessProblem(new ProtocolError('NOT_LEADER_OR_FOLLOWER'))).toBeNull();
  });
});
