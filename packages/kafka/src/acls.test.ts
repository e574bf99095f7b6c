import { describe, expect, it } from 'vitest';
import { pipelineAcls } from './acls.ts';

describe('pipelineAcls', () => {
  it('lets the gateway only write the two topics, and the sink read its topic and group and write the DLQ', () => {
    const acls = pipelineAcls({
      gateway: 'gw',
      sink: 'sk',
      topic: 'log-data',
      dlqTopic: 'log-data-dlq',
      groupId: 'loglake-sink',
    });
    const of = (principal: string) =>
      acls
        .filter((a) => a.principal === principal)
        .map((a) => `${a.operation} ${a.resource}:${a.name}`)
        .sort();
    expect(of('User:gw')).toEqual(['write topic:log-data', 'write topic:log-data-dlq']);
    expect(of('User:sk')).toEqual([
      'describe_configs topic:log-data',
      'read group:loglake-sink',
      'read topic:log-data',
      'write topic:log-data-dlq',
    ]);
    expect(acls).toHaveLength(6);
  });
});
