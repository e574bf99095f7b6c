import { describe, expect, it } from 'vitest';
import { loadConfig, redacted } from './config.ts';

describe('sink loadConfig', () => {
  it('defaults to a local lake folder and the pipeline topics', () => {
    const c = loadConfig({});
    expect(c.outputUrl).toBe('file://lake');
    expect(c.sink).toMatchObject({
      topic: 'log-data',
      dlqTopic: 'log-data-dlq',
      groupId: 'loglake-sink',
      flushMaxAgeMs: 60_000,
    });
    expect(c.codec).toBe('zstd');
  });

  it('refuses an output URL that is neither s3:// nor file://, and a budget that cannot hold two flushes', () => {
    expect(() => loadConfig({ SINK_OUTPUT_URL: 'http://bucket' })).toThrow(/SINK_OUTPUT_URL/);
    expect(() =>
      loadConfig({ SINK_MEMORY_BUDGET_BYTES: '1000', SINK_FLUSH_MAX_BYTES: '800' }),
    ).toThrow(/SINK_MEMORY_BUDGET_BYTES/);
    expect(() => loadConfig({ SINK_COMPRESSION: 'lzma' })).toThrow(/SINK_COMPRESSION/);
  });

  it('never logs S3 keys', () => {
    const c = loadConfig({
      S3_ACCESS_KEY_ID: 'AKIASECRET',
      S3_SECRET_ACCESS_KEY: 'topsecret',
      SINK_OUTPUT_URL: 's3://b/p',
    });
    expect(JSON.stringify(redacted(c))).not.toMatch(/AKIASECRET|topsecret/);
  });
});
