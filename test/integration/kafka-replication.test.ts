import { afterAll, beforeAll, describe, expect } from 'vitest';
import {
  createKafkaAdmin,
  createKafkaProducer,
  describeTopicConfigs,
  type KafkaClientConfig,
} from '@loglake/kafka';
import {
  PIPELINE_TOPICS,
  clusterSpec,
  kafkaNodeRunning,
  killKafkaNode,
  stackDown,
  stackPaths,
  stackUp,
  startKafkaNode,
} from '@loglake/stack';
import { kafkaConfig, test, uniqueName, waitUntil } from '../support/fixtures.ts';
import { consumeAll } from '../support/consume.ts';

const spec = clusterSpec('three');
const log = (m: string) => process.stderr.write(`[stack] ${m}\n`);
let started: readonly string[] = [];
let config: KafkaClientConfig;

beforeAll(async () => {
  const info = await stackUp({ kafka: ['three'], s3: false, prometheus: 'off', log });
  started = info.started;
  config = { ...kafkaConfig(info.kafka.three), requestTimeoutMs: 10_000 };
});

afterAll(async () => {
  if (started.length > 0) await stackDown({ only: [spec.name] });
});

describe('three-node cluster (RF 3, min.insync.replicas=2)', () => {
  test('the stack created the pipeline topics with RF 3, min.insync.replicas=2 and an explicit retention', async () => {
    const admin = createKafkaAdmin(config);
    await admin.connect();
    try {
      for (const topic of PIPELINE_TOPICS) {
        const parts = await admin.partitions(topic);
        expect(parts).toHaveLength(6);
        expect(parts.every((p) => p.replicas.length === 3)).toBe(true);
        expect(
          await describeTopicConfigs(config, topic, ['min.insync.replicas', 'retention.ms']),
        ).toEqual({
          'min.insync.replicas': { value: '2', source: 'topic' },
          'retention.ms': { value: String(7 * 24 * 3600_000), source: 'topic' },
        });
      }
    } finally {
      await admin.disconnect();
    }
  });

  test('idempotent acks=all producing goes on through a broker kill; every acknowledged message is read back, none twice', async () => {
    const paths = stackPaths();
    const admin = createKafkaAdmin(config);
    await admin.connect();
    const topic = uniqueName('repl');
    // min.insync.replicas=2 and retention.ms come from ensureTopic's explicit defaults for RF 3.
    await admin.ensureTopic({ topic, partitions: 3, replicationFactor: 3 });
    expect(await describeTopicConfigs(config, topic, ['min.insync.replicas'])).toEqual({
      'min.insync.replicas': { value: '2', source: 'topic' },
    });
    // Every broker learns of the new topic a moment after the controller does.
    const before = await waitUntil('all three replicas in sync', async () => {
      const parts = await admin.partitions(topic);
      return parts.length === 3 && parts.every((p) => p.isr.length === 3) ? parts : undefined;
    });
    // Kill the leader of partition 0, so that a leader election must happen under load.
    const victim = before.find((p) => p.partition === 0)?.leader;
    expect(victim).toBeDefined();

    const producer = createKafkaProducer(config, {
      retries: 10,
      ackTimeoutMs: 10_000,
      idempotent: true,
    });
    await producer.connect();
    const acked: string[] = [];
    let failedSends = 0;
    let seq = 0;
    const sendBatch = async () => {
      const values = Array.from({ length: 50 }, () => JSON.stringify({ seq: seq++ }));
      try {
        await producer.send(
          topic,
          values.map((value, i) => ({ key: `k${i}`, value })),
        );
        acked.push(...values);
      } catch {
        failedSends += 1; // not acknowledged: may or may not be in the log, and is not checked
      }
    };

    while (acked.length < 3_000) await sendBatch();
    await killKafkaNode(paths, spec, victim ?? 0);
    expect(kafkaNodeRunning(paths, spec, victim ?? 0)).toBe(false);
    const ackedAtKill = acked.length;
    // Keep producing until 3,000 more are acknowledged by the two survivors (bounded by the test time-out).
    while (acked.length < ackedAtKill + 3_000) await sendBatch();
    await producer.disconnect();

    // The survivors agree on the new layout (each broker's metadata catches up on its own).
    const after = await waitUntil('the killed broker out of every ISR', async () => {
      const parts = await admin.partitions(topic);
      return parts.every((p) => !p.isr.includes(victim ?? 0)) ? parts : undefined;
    });
    expect(after.find((p) => p.partition === 0)?.leader).not.toBe(victim);
    expect(after.every((p) => p.isr.length === 2)).toBe(true);
    await admin.disconnect();

    const records = await consumeAll(config, topic);
    const read = new Set(records.map((r) => r.text));
    const missing = acked.filter((v) => !read.has(v));
    expect(missing).toEqual([]);
    // The idempotent producer's retries during failover wrote nothing twice.
    expect(records.length).toBe(read.size);
    log(
      `replication: ${acked.length} acknowledged, ${failedSends} sends failed during failover, ${records.length} read`,
    );

    await startKafkaNode({ paths, timeoutMs: 120_000, log }, spec, victim ?? 0);
    expect(kafkaNodeRunning(paths, spec, victim ?? 0)).toBe(true);
  });
});
