import { randomBytes } from 'node:crypto';
import { inject, test as base } from 'vitest';
import { createKafkaAdmin, type KafkaAdmin, type KafkaClientConfig } from '@loglake/kafka';
import { createS3Client, createS3Store, type ObjectStore } from '@loglake/object-store';
import type { S3Client } from '@aws-sdk/client-s3';

/** A name no other test or run uses: `<prefix>-<random>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/**
 * Polls `probe` until it returns a value other than undefined; fails naming `what`
 * (and the last value seen) after `timeoutMs`. For conditions that become true
 * asynchronously (metadata propagating, metrics scraped), never for hiding races.
 */
export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export function kafkaConfig(
  brokers: readonly string[] = inject('kafkaBrokers'),
): KafkaClientConfig {
  return {
    brokers,
    clientId: 'loglake-test',
    ssl: false,
    connectionTimeoutMs: 3000,
    requestTimeoutMs: 30000,
  };
}

export function s3Client(): S3Client {
  const s3 = inject('s3');
  return createS3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
}

export interface Fixtures {
  kafka: KafkaClientConfig;
  admin: KafkaAdmin;
  /** A fresh topic with 3 partitions, deleted after the test. */
  topic: string;
  /** A second fresh topic, for dead letters. */
  dlqTopic: string;
  /** A consumer group id nobody else uses; deleted after the test. */
  groupId: string;
  s3: S3Client;
  /** The stack's bucket under a prefix of this test's own; emptied after the test. */
  store: ObjectStore;
}

export const test = base.extend<Fixtures>({
  kafka: async ({}, use) => {
    await use(kafkaConfig());
  },
  admin: async ({ kafka }, use) => {
    const admin = createKafkaAdmin(kafka);
    await admin.connect();
    await use(admin);
    await admin.disconnect();
  },
  topic: async ({ admin }, use) => {
    const topic = uniqueName('test');
    await admin.ensureTopic({ topic, partitions: 3, replicationFactor: 1 });
    await use(topic);
    await admin.deleteTopics([topic]);
  },
  dlqTopic: async ({ admin }, use) => {
    const topic = uniqueName('test-dlq');
    await admin.ensureTopic({ topic, partitions: 1, replicationFactor: 1 });
    await use(topic);
    await admin.deleteTopics([topic]);
  },
  groupId: async ({ admin }, use) => {
    const groupId = uniqueName('group');
    await use(groupId);
    await admin.deleteGroups([groupId]).catch(() => undefined); // never joined: nothing to delete
  },
  s3: async ({}, use) => {
    const client = s3Client();
    await use(client);
    client.destroy();
  },
  store: async ({ s3 }, use) => {
    const prefix = uniqueName('test');
    const store = createS3Store(s3, { bucket: inject('s3').bucket, prefix });
    await use(store);
    const keys: string[] = [];
    for await (const o of store.list('')) keys.push(o.key);
    for (let i = 0; i < keys.length; i += 64) {
      await Promise.all(keys.slice(i, i + 64).map((k) => store.delete(k)));
    }
  },
});
