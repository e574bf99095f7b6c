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

  it('reads SINK_TABLE_FORMAT=iceberg with the SINK_ICEBERG_* settings, listing every problem at once', () => {
    expect(loadConfig({}).tableFormat).toBe('parquet');
    expect(loadConfig({}).iceberg).toBeNull();
    const c = loadConfig({
      SINK_TABLE_FORMAT: 'iceberg',
      SINK_ICEBERG_CATALOG_URL: 'http://127.0.0.1:8181',
      SINK_ICEBERG_AUTH: 'bearer',
      SINK_ICEBERG_TOKEN: 'sekret-token',
      SINK_ICEBERG_LOCATION: 's3://b/tables/events',
    });
    expect(c.tableFormat).toBe('iceberg');
    expect(c.iceberg).toMatchObject({
      commitIntervalMs: 10_000,
      location: 's3://b/tables/events',
      codec: 'zstd',
      table: { namespace: ['loglake'], table: 'events' },
    });
    expect(JSON.stringify(redacted(c))).not.toMatch(/sekret-token/);
    let message = '';
    try {
      loadConfig({
        SINK_TABLE_FORMAT: 'iceberg',
        SINK_COMPRESSION: 'lz4',
        SINK_FLUSH_MAX_ROWS: '0',
      });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/SINK_COMPRESSION/);
    expect(message).toMatch(/SINK_FLUSH_MAX_ROWS/);
    expect(message).toMatch(/SINK_ICEBERG_CATALOG_URL/);
    expect(() => loadConfig({ SINK_TABLE_FORMAT: 'delta' })).toThrow(/SINK_TABLE_FORMAT/);
  });

  it('reads the background compaction: off by default, the CLI defaults, refused without a table or an interval', () => {
    const table = {
      SINK_TABLE_FORMAT: 'iceberg',
      SINK_ICEBERG_CATALOG_URL: 'http://127.0.0.1:8181',
      SINK_TMP_DIR: '/tmp/sink-x',
    };
    expect(loadConfig(table).iceberg?.compaction).toBeNull();
    expect(
      loadConfig({ ...table, SINK_ICEBERG_COMPACT_INTERVAL_MS: '600000' }).iceberg?.compaction,
    ).toEqual({
      intervalMs: 600_000,
      graceMs: 2 * 3_600_000,
      targetFileSizeBytes: 128 * 1024 * 1024,
      threads: 1,
      memoryLimitMb: 512,
      workDir: '/tmp/sink-x/compact',
    });
    expect(
      loadConfig({
        ...table,
        SINK_ICEBERG_COMPACT_INTERVAL_MS: '5000',
        SINK_ICEBERG_COMPACT_GRACE_MS: '0',
        SINK_ICEBERG_COMPACT_TARGET_BYTES: '1048576',
        SINK_ICEBERG_COMPACT_THREADS: '2',
        SINK_ICEBERG_COMPACT_MEMORY_MB: '256',
      }).iceberg?.compaction,
    ).toMatchObject({ intervalMs: 5000, graceMs: 0, targetFileSizeBytes: 1048576, threads: 2 });
    expect(() => loadConfig({ SINK_ICEBERG_COMPACT_INTERVAL_MS: '600000' })).toThrow(
      /SINK_ICEBERG_COMPACT_INTERVAL_MS.*SINK_TABLE_FORMAT=iceberg/,
    );
    expect(() => loadConfig({ ...table, SINK_ICEBERG_COMPACT_INTERVAL_MS: '60' })).toThrow(
      /at least 1000/,
    );
    expect(() => loadConfig({ ...table, SINK_ICEBERG_COMPACT_GRACE_MS: '60000' })).toThrow(
      /SINK_ICEBERG_COMPACT_GRACE_MS.*no effect/,
    );
  });
});
