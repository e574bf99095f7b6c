import type { KafkaClientConfig } from '@loglake/kafka';
import { freePort, startService, waitForStatus, type ServiceProcess } from './processes.ts';

export interface GatewayUnderTest extends ServiceProcess {
  readonly url: string;
  readonly adminUrl: string;
  post(
    body: string | Buffer,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: GatewayAnswer; headers: Headers }>;
}

export interface GatewayAnswer {
  accepted: number;
  event_ids: string[];
  rejected: { index: number; code: string; field?: string; message: string }[];
  error?: { code: string; message: string };
}

/** Starts the real gateway process against the real broker, on free ports, and waits until ready. */
export async function startGateway(
  kafka: KafkaClientConfig,
  topic: string,
  dlqTopic: string,
  env: Record<string, string> = {},
): Promise<GatewayUnderTest> {
  const [port, adminPort] = [await freePort(), await freePort()];
  const proc = startService('gateway', {
    KAFKA_BROKERS: kafka.brokers.join(','),
    GATEWAY_PORT: String(port),
    GATEWAY_ADMIN_PORT: String(adminPort),
    GATEWAY_TOPIC: topic,
    GATEWAY_DLQ_TOPIC: dlqTopic,
    GATEWAY_API_KEYS: 'test-key-0001:itest',
    ...env,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForStatus(`${url}/readyz`, 200, proc);
  return {
    ...proc,
    url,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    async post(body, headers = {}) {
      const res = await fetch(`${url}/events`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', 'x-api-key': 'test-key-0001', ...headers },
      });
      return {
        status: res.status,
        body: (await res.json()) as GatewayAnswer,
        headers: res.headers,
      };
    },
  };
}
