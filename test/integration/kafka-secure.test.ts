import { afterAll, beforeAll, describe, expect, inject } from 'vitest';
import { hasCode, isLoglakeError } from '@loglake/core';
import {
  createKafkaAclAdmin,
  createKafkaAdmin,
  createKafkaConsumer,
  describeTopicConfigs,
  kafkaClientEnv,
  pipelineAcls,
  topicRetention,
  type AclBinding,
  type KafkaAdmin,
  type KafkaClientConfig,
} from '@loglake/kafka';
import {
  PIPELINE_GROUP,
  PIPELINE_TOPICS,
  SECURE_BROKER,
  SECURE_USERS,
  secureClientConfig,
  stackDown,
  stackPaths,
  stackUp,
} from '@loglake/stack';
import { consumeAll } from '../support/consume.ts';
import { test, uniqueName } from '../support/fixtures.ts';
import { startGateway } from '../support/gateway.ts';
import { checkLake } from '../support/lake.ts';
import { startService } from '../support/processes.ts';
import { allCommitted, startSink } from '../support/sink.ts';

// The secured broker of the local stack (`pnpm stack:up --secure`): SASL_SSL with SCRAM-SHA-512 on
// 127.0.0.1:9094, ACLs with the StandardAuthorizer. Started here when not running (the plain tests
// never wait for it), stopped afterwards only if this file started it.
const log = (m: string) => process.stderr.write(`[stack] ${m}\n`);
const paths = stackPaths();
const as = (user: { username: string; password: string }) =>
  secureClientConfig(paths, user, 'loglake-test');
const superUser = as(SECURE_USERS.admin);
const gatewayLogin = as(SECURE_USERS.gateway);
const sinkLogin = as(SECURE_USERS.sink);
const wrongPassword = (c: KafkaClientConfig): KafkaClientConfig => ({
  ...c,
  ...(c.sasl ? { sasl: { ...c.sasl, password: `${c.sasl.password}-wrong` } } : {}),
});
let started: readonly string[] = [];
let admin: KafkaAdmin;

beforeAll(async () => {
  const info = await stackUp({ kafka: ['secure'], s3: false, prometheus: 'off', log });
  started = info.started;
  expect(info.secure?.brokers).toEqual(['127.0.0.1:9094']);
  admin = createKafkaAdmin(superUser);
  await admin.connect();
});

afterAll(async () => {
  await admin.disconnect();
  if (started.length > 0) await stackDown({ only: [SECURE_BROKER.name] });
});

/** A fresh topic pair and group of this test, with the pipeline's ACLs on them (the same rules the stack grants on log-data). */
async function pipeline(): Promise<{
  topic: string;
  dlqTopic: string;
  groupId: string;
  acls: AclBinding[];
  cleanup: () => Promise<void>;
}> {
  const topic = uniqueName('secure');
  const dlqTopic = `${topic}-dlq`;
  const groupId = uniqueName('secure-group');
  await admin.ensureTopic({ topic, partitions: 3, replicationFactor: 1 });
  await admin.ensureTopic({ topic: dlqTopic, partitions: 1, replicationFactor: 1 });
  const acls = pipelineAcls({
    gateway: SECURE_USERS.gateway.username,
    sink: SECURE_USERS.sink.username,
    topic,
    dlqTopic,
    groupId,
  });
  await withAcls((a) => a.create(acls));
  return {
    topic,
    dlqTopic,
    groupId,
    acls,
    cleanup: async () => {
      await withAcls((a) => a.remove(acls));
      await admin.deleteGroups([groupId]).catch(() => undefined);
      await admin.deleteTopics([topic, dlqTopic]);
    },
  };
}

async function withAcls<T>(
  work: (acls: ReturnType<typeof createKafkaAclAdmin>) => Promise<T>,
): Promise<T> {
  const acls = createKafkaAclAdmin(superUser);
  await acls.connect();
  try {
    return await work(acls);
  } finally {
    await acls.disconnect();
  }
}

/** The error `promise` rejects with (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => null,
    (error: unknown) => error,
  );
  expect(outcome, 'expected a rejection').toBeInstanceOf(Error);
  return outcome as Error;
}

function event(n: number, now: number, run: string): Record<string, unknown> {
  return {
    event_id: `${run}-${n}`,
    event_type: n % 3 === 0 ? 'click' : 'page_view',
    ts: now - ((n * 7919) % 3_600_000),
    user_id: `user-${n % 97}`,
    campaign_id: n % 11,
    message: `secure ${n} ünïcødé ✓`,
  };
}

describe('secured broker (TLS, SASL SCRAM-SHA-512, ACLs)', () => {
  test('the stack made log-data and log-data-dlq with explicit settings, and granted the services only the pipeline ACLs', async () => {
    const [topic, dlqTopic] = PIPELINE_TOPICS;
    // The sink's login reads its topic's retention, as its start-up check does.
    expect(await topicRetention(sinkLogin, topic)).toEqual({
      retentionMs: 7 * 24 * 3600_000,
      retentionBytes: null,
      cleanupPolicy: 'delete',
      source: 'topic',
    });
    expect(
      await describeTopicConfigs(superUser, dlqTopic, ['retention.ms', 'min.insync.replicas']),
    ).toEqual({
      'retention.ms': { value: String(7 * 24 * 3600_000), source: 'topic' },
      'min.insync.replicas': { value: '1', source: 'topic' },
    });
    const granted = await withAcls((a) => a.list());
    const key = (b: AclBinding) => `${b.principal} ${b.operation} ${b.resource}:${b.name}`;
    const services = granted.filter((b) => /^User:(gateway|sink)$/.test(b.principal));
    const expected = pipelineAcls({
      gateway: SECURE_USERS.gateway.username,
      sink: SECURE_USERS.sink.username,
      topic,
      dlqTopic,
      groupId: PIPELINE_GROUP,
    });
    // Other tests' grants on their own topics may exist for a moment; the pipeline's are exactly these.
    expect(
      services
        .filter((b) => [topic, dlqTopic, PIPELINE_GROUP].includes(b.name))
        .map(key)
        .sort(),
    ).toEqual(expected.map(key).sort());

    // Both services see their topics with only DESCRIBE (implied by WRITE/READ): no CREATE needed.
    for (const login of [gatewayLogin, sinkLogin]) {
      const a = createKafkaAdmin(login);
      await a.connect();
      try {
        expect((await a.listTopics()).sort()).toEqual(
          expect.arrayContaining([topic, dlqTopic].sort()),
        );
        expect(await a.ensureTopic({ topic, partitions: 6, replicationFactor: 1 })).toBe(false);
      } finally {
        await a.disconnect();
      }
    }
  });

  test('a client without the CA fails with an error naming KAFKA_SSL_CA_FILE; a wrong password names the user', async () => {
    // No CA file: the system's trust store, which does not know the stack's CA.
    const untrusted = createKafkaAdmin({
      brokers: gatewayLogin.brokers,
      clientId: gatewayLogin.clientId,
      ssl: true,
      ...(gatewayLogin.sasl ? { sasl: gatewayLogin.sasl } : {}),
      connectionTimeoutMs: gatewayLogin.connectionTimeoutMs,
      requestTimeoutMs: gatewayLogin.requestTimeoutMs,
    });
    const tls = await rejection(untrusted.connect());
    expect(hasCode(tls, 'LOGLAKE_KAFKA_AUTH_FAILED')).toBe(true);
    expect(tls.message).toMatch(/TLS to Kafka at 127\.0\.0\.1:9094 failed .*KAFKA_SSL_CA_FILE/);
    await untrusted.disconnect();

    const refused = createKafkaAdmin(wrongPassword(gatewayLogin));
    const sasl = await rejection(refused.connect());
    expect(hasCode(sasl, 'LOGLAKE_KAFKA_AUTH_FAILED')).toBe(true);
    expect(isLoglakeError(sasl) && sasl.retryable).toBe(false);
    expect(sasl.message).toMatch(
      /refused the SCRAM-SHA-512 login of User:gateway .*KAFKA_SASL_PASSWORD/,
    );
    await refused.disconnect();
  });

  test('gateway → Kafka → sink → lake through SASL_SSL, each service with its own login: exactly once', async ({
    store,
  }) => {
    const p = await pipeline();
    const TOTAL = 20_000;
    const BATCH = 500;
    const run = uniqueName('sec');
    const gw = await startGateway(gatewayLogin, p.topic, p.dlqTopic, {
      ...kafkaClientEnv(gatewayLogin),
      GATEWAY_RATE_LIMIT_EVENTS_PER_S: '0',
    });
    const sink = await startSink(sinkLogin, p.topic, p.dlqTopic, p.groupId, store.url, {
      ...kafkaClientEnv(sinkLogin),
    });
    const now = Date.now();
    const statuses: Record<number, number> = {};
    const acknowledged = new Set<string>();
    try {
      let next = 0;
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (next < TOTAL) {
            const start = next;
            next += BATCH;
            const body = Array.from({ length: BATCH }, (_, i) => event(start + i, now, run));
            const r = await gw.post(JSON.stringify(body));
            statuses[r.status] = (statuses[r.status] ?? 0) + 1;
            if (r.status === 200) for (const id of r.body.event_ids) acknowledged.add(id);
          }
        }),
      );
      expect(statuses).toEqual({ 200: TOTAL / BATCH });
      expect(acknowledged.size).toBe(TOTAL);
      await expect
        .poll(async () => (await checkLake(store, p.topic)).rows, {
          timeout: 120_000,
          interval: 2000,
        })
        .toBe(TOTAL);
      await expect
        .poll(() => allCommitted(admin, p.groupId, p.topic), { timeout: 60_000, interval: 500 })
        .toBe(true);
    } finally {
      expect(await sink.stop()).toBe(0);
      expect(await gw.stop()).toBe(0);
    }
    expect(gw.output()).not.toMatch(/AUTHORIZATION_FAILED|authentication failed/i);
    expect(sink.output()).not.toMatch(/AUTHORIZATION_FAILED|authentication failed/i);

    // Kafka holds every acknowledged event once, and the lake has each of them once.
    const inKafka = await consumeAll(superUser, p.topic);
    const ids = inKafka.map((r) => (JSON.parse(r.text) as { event_id: string }).event_id);
    expect(ids).toHaveLength(TOTAL);
    expect(new Set(ids)).toEqual(acknowledged);
    expect(await checkLake(store, p.topic)).toMatchObject({
      rows: TOTAL,
      distinct: TOTAL,
      misplaced: 0,
    });
    const dlq = await admin.topicOffsets(p.dlqTopic);
    expect(dlq.reduce((n, o) => n + Number(o.high), 0)).toBe(0);
    await p.cleanup();
  }, 300_000);

  test('a wrong password: the gateway and the sink stop at start with exit 1 and an error naming the user', async () => {
    const p = await pipeline();
    try {
      const gateway = startService('gateway', {
        ...kafkaClientEnv(wrongPassword(gatewayLogin)),
        GATEWAY_PORT: '0',
        GATEWAY_ADMIN_PORT: '0',
        GATEWAY_TOPIC: p.topic,
        GATEWAY_DLQ_TOPIC: p.dlqTopic,
        GATEWAY_OPEN_MODE: 'true',
      });
      const s3 = inject('s3');
      const sink = startService('sink', {
        ...kafkaClientEnv(wrongPassword(sinkLogin)),
        S3_ENDPOINT: s3.endpoint,
        S3_ACCESS_KEY_ID: s3.accessKeyId,
        S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
        SINK_OUTPUT_URL: `s3://${s3.bucket}/${uniqueName('secure-wrong')}`,
        SINK_TOPIC: p.topic,
        SINK_DLQ_TOPIC: p.dlqTopic,
        SINK_GROUP_ID: p.groupId,
        SINK_ADMIN_PORT: '0',
      });
      const deadline = setTimeout(() => {
        void gateway.kill();
        void sink.kill();
      }, 60_000);
      const [gatewayExit, sinkExit] = await Promise.all([gateway.exited, sink.exited]);
      clearTimeout(deadline);
      expect({ gateway: gatewayExit, sink: sinkExit }).toEqual({ gateway: 1, sink: 1 });
      for (const [service, proc] of [
        ['gateway', gateway],
        ['sink', sink],
      ] as const) {
        expect(proc.output()).toMatch(
          new RegExp(
            `cannot start: Kafka at 127\\.0\\.0\\.1:9094 refused the SCRAM-SHA-512 login of User:${service} while connecting: check KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD`,
          ),
        );
        expect(proc.output()).not.toContain(SECURE_USERS[service].password);
      }
    } finally {
      await p.cleanup();
    }
  });

  test("the gateway's login may not read: denied the group, and the topic even with a group", async () => {
    const p = await pipeline();
    const received: string[] = [];
    /** Runs a consumer with the gateway's login until it crashes for good; returns that error. */
    const crashOf = async (groupId: string): Promise<unknown> => {
      const consumer = createKafkaConsumer(gatewayLogin, { groupId, sessionTimeoutMs: 10_000 });
      await consumer.connect();
      try {
        await consumer.subscribe(p.topic, { fromBeginning: true });
        const crashed = new Promise<unknown>((resolve) =>
          consumer.onCrash((error, willRestart) => {
            if (!willRestart) resolve(error);
          }),
        );
        await consumer.run(async (batch) => {
          received.push(...batch.records.map((r) => r.offset));
        });
        return await crashed;
      } finally {
        await consumer.disconnect();
      }
    };
    try {
      // Something to read, written by the gateway's own login (which may write).
      const gw = await startGateway(gatewayLogin, p.topic, p.dlqTopic, {
        ...kafkaClientEnv(gatewayLogin),
      });
      expect((await gw.post(JSON.stringify([event(1, Date.now(), 'deny')]))).status).toBe(200);
      expect(await gw.stop()).toBe(0);

      // No ACL on any group: FindCoordinator is denied (kafkajs hides the reason; the hint names it).
      const noGroup = await crashOf(uniqueName('gateway-group'));
      expect((noGroup as Error).message).toMatch(/check that User:gateway may READ group/);

      // With a group it may use (granted for this check only), the topic itself is denied.
      const groupId = uniqueName('gateway-group');
      const temporary: AclBinding[] = [
        { principal: 'User:gateway', resource: 'group', name: groupId, operation: 'read' },
      ];
      await withAcls((a) => a.create(temporary));
      try {
        const denied = await crashOf(groupId);
        expect(hasCode(denied, 'LOGLAKE_KAFKA_NOT_AUTHORIZED')).toBe(true);
        expect((denied as Error).message).toMatch(
          /Kafka denied User:gateway while consuming in group .* \(TOPIC_AUTHORIZATION_FAILED\)/,
        );
      } finally {
        await withAcls((a) => a.remove(temporary));
        await admin.deleteGroups([groupId]).catch(() => undefined);
      }
      expect(received).toEqual([]);

      // Nor may it create topics, or read their settings.
      const gwAdmin = createKafkaAdmin(gatewayLogin);
      await gwAdmin.connect();
      try {
        const create = await rejection(
          gwAdmin.ensureTopic({
            topic: uniqueName('not-allowed'),
            partitions: 1,
            replicationFactor: 1,
          }),
        );
        expect(hasCode(create, 'LOGLAKE_KAFKA_NOT_AUTHORIZED')).toBe(true);
      } finally {
        await gwAdmin.disconnect();
      }
      const configs = await rejection(topicRetention(gatewayLogin, p.topic));
      expect(hasCode(configs, 'LOGLAKE_KAFKA_NOT_AUTHORIZED')).toBe(true);
    } finally {
      await p.cleanup();
    }
  });
});
