import { describe, expect, it } from 'vitest';
import { minInsyncReplicasFor, topicConfigs } from './admin.ts';

describe('topicConfigs', () => {
  it('sets retention, record size and min.insync.replicas explicitly, from the replication factor', () => {
    expect(topicConfigs({ topic: 't', partitions: 6, replicationFactor: 1 })).toEqual({
      'retention.ms': '604800000',
      'max.message.bytes': '2097152',
      'min.insync.replicas': '1',
    });
    expect(
      topicConfigs({ topic: 't', partitions: 6, replicationFactor: 3, retentionMs: 3_600_000 }),
    ).toEqual({
      'retention.ms': '3600000',
      'max.message.bytes': '2097152',
      'min.insync.replicas': '2',
    });
  });

  it('lets explicit settings win', () => {
    expect(
      topicConfigs({
        topic: 't',
        partitions: 1,
        replicationFactor: 3,
        minInsyncReplicas: 3,
        configs: { 'retention.ms': '-1', 'cleanup.policy': 'compact' },
      }),
    ).toEqual({
      'retention.ms': '-1',
      'max.message.bytes': '2097152',
      'min.insync.replicas': '3',
      'cleanup.policy': 'compact',
    });
  });

  it('asks two in-sync replicas from three on, one below', () => {
    expect([1, 2, 3, 4, 5].map(minInsyncReplicasFor)).toEqual([1, 1, 2, 2, 2]);
  });
});
