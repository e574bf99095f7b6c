import { LoglakeError, isLoglakeError } from '@loglake/core';
import type { KafkaClientConfig } from './config.ts';

/** Node's codes for a server certificate this client does not trust (or a listener without TLS). */
const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_PACKET_LENGTH_TOO_LONG',
]);

/** What kind of refusal an error of the Kafka client is, if it is one. */
export type KafkaAccessProblem =
  | { readonly kind: 'sasl'; readonly message: string }
  | {
      readonly kind: 'tls';
      readonly code: string;
      readonly broker: string;
      readonly message: string;
    }
  | { readonly kind: 'denied'; readonly type: string; readonly message: string };

interface ErrorLike {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly type?: unknown;
  readonly code?: unknown;
  readonly broker?: unknown;
  /** @platformatic/kafka's name of a broker's error code (its `ProtocolError`). */
  readonly apiId?: unknown;
  readonly cause?: unknown;
  readonly originalError?: unknown;
}

/**
 * The error and its causes, outermost first: kafkajs wraps retried and non-retriable errors
 * (`cause`, `originalError`) and lists per-topic failures of one request in `errors`;
 * @platformatic/kafka wraps with `cause` and lists the attempts of a retried call in `errors`.
 */
function causes(error: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  const queue: unknown[] = [error];
  while (queue.length > 0 && out.length < 20) {
    const e = queue.shift();
    if (typeof e !== 'object' || e === null || out.includes(e)) continue;
    out.push(e);
    const { cause, originalError, errors } = e as ErrorLike & { errors?: unknown };
    queue.push(cause, originalError, ...(Array.isArray(errors) ? (errors as unknown[]) : []));
  }
  return out;
}

/** The broker an error names: kafkajs' `broker`, or @platformatic/kafka's "Connection to h:p failed." */
function brokerOf(e: ErrorLike): string | null {
  if (typeof e.broker === 'string') return e.broker;
  const m =
    typeof e.message === 'string' ? /^Connection to (\S+:\d+) failed/.exec(e.message) : null;
  return m?.[1] ?? null;
}

/** Whether kafkajs' error class `name` is the error or one of its causes. */
export function isKafkaJsError(error: unknown, name: string): boolean {
  return causes(error).some((e) => e.name === name);
}

/**
 * Finds an authentication failure (SASL refused, a broker certificate not trusted) or an
 * authorization failure (an ACL denied a request) in a kafkajs error and its causes.
 */
export function kafkaAccessProblem(error: unknown): KafkaAccessProblem | null {
  let broker = 'the broker';
  for (const e of causes(error)) {
    const message = typeof e.message === 'string' ? e.message : '';
    // kafkajs names a broker's error code `type`, @platformatic/kafka `apiId`.
    const type = typeof e.type === 'string' ? e.type : typeof e.apiId === 'string' ? e.apiId : '';
    broker = brokerOf(e) ?? broker;
    if (
      e.name === 'KafkaJSSASLAuthenticationError' ||
      e.code === 'PLT_KFK_AUTHENTICATION' ||
      type === 'SASL_AUTHENTICATION_FAILED'
    ) {
      return { kind: 'sasl', message: brokerMessage(e) };
    }
    if (type.endsWith('_AUTHORIZATION_FAILED')) {
      return { kind: 'denied', type, message: brokerMessage(e) };
    }
    if (typeof e.code === 'string' && TLS_CODES.has(e.code)) {
      return { kind: 'tls', code: e.code, broker, message };
    }
  }
  return null;
}

/** What the broker said: @platformatic/kafka keeps it apart (`serverErrorMessage`) under a generic message. */
function brokerMessage(e: ErrorLike): string {
  for (const c of causes(e)) {
    const said = (c as { serverErrorMessage?: unknown }).serverErrorMessage;
    if (typeof said === 'string' && said !== '') return said;
  }
  return typeof e.message === 'string' ? e.message : '';
}

function principal(config: KafkaClientConfig): string {
  return config.sasl ? `User:${config.sasl.username}` : 'this client (no SASL login)';
}

/**
 * `error` as a coded LoglakeError with a message an operator can act on when it is a refusal
 * (`LOGLAKE_KAFKA_AUTH_FAILED`: credentials or TLS; `LOGLAKE_KAFKA_NOT_AUTHORIZED`: ACLs), both not
 * retryable; any other error is returned as it is. `action` says what was refused ("connecting").
 */
export function explainKafkaError(
  error: unknown,
  config: KafkaClientConfig,
  action: string,
): unknown {
  if (isLoglakeError(error)) return error;
  const problem = kafkaAccessProblem(error);
  if (!problem) return error;
  const brokers = config.brokers.join(',');
  switch (problem.kind) {
    case 'sasl': {
      const mechanism = config.sasl?.mechanism.toUpperCase() ?? 'SASL';
      return new LoglakeError(
        'LOGLAKE_KAFKA_AUTH_FAILED',
        `Kafka at ${brokers} refused the ${mechanism} login of ${principal(config)} while ${action}: ` +
          `check KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD and KAFKA_SASL_MECHANISM (${problem.message})`,
        { cause: error },
      );
    }
    case 'tls': {
      const hint = problem.code.startsWith('ERR_SSL_')
        ? 'the listener does not speak TLS: check KAFKA_SSL and the port in KAFKA_BROKERS'
        : 'the broker certificate is not trusted: set KAFKA_SSL_CA_FILE to the CA that signed it, and check that its names cover the host in KAFKA_BROKERS';
      return new LoglakeError(
        'LOGLAKE_KAFKA_AUTH_FAILED',
        `TLS to Kafka at ${problem.broker} failed while ${action} (${problem.code}): ${hint}`,
        { cause: error },
      );
    }
    case 'denied':
      return new LoglakeError(
        'LOGLAKE_KAFKA_NOT_AUTHORIZED',
        `Kafka denied ${principal(config)} while ${action} (${problem.type}): ` +
          `the cluster's ACLs do not allow it (${problem.message})`,
        { cause: error, details: { type: problem.type } },
      );
  }
}

/** Runs `work`; a refusal comes out as the coded error of `explainKafkaError`. */
export async function explained<T>(
  config: KafkaClientConfig,
  action: string,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw explainKafkaError(error, config, action);
  }
}
