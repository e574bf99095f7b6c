import { describe, expect, it } from 'vitest';
import { hasCode } from '@loglake/core';
import {
  loadCompactConfig,
  loadExpireConfig,
  loadOrphansConfig,
  parseDuration,
  parseSize,
} from './config.ts';

const env = {
  SINK_ICEBERG_CATALOG_URL: 'http://127.0.0.1:8181',
  S3_ENDPOINT: 'http://127.0.0.1:9000',
};

describe('upkeep options', () => {
  it('parse durations and sizes with units', () => {
    expect(parseDuration('7d', 'x')).toBe(7 * 86_400_000);
    expect(parseDuration('2h', 'x')).toBe(7_200_000);
    expect(parseDuration('90s', 'x')).toBe(90_000);
    expect(parseSize('128MiB', 'x')).toBe(128 * 1024 * 1024);
    expect(parseSize('100MB', 'x')).toBe(100_000_000);
    expect(parseSize('4096', 'x')).toBe(4096);
    for (const bad of [() => parseDuration('7', 'x'), () => parseSize('12 parsecs', 'x')])
      expect(bad).toThrow(/is not a/);
  });

  it('have the documented defaults', () => {
    expect(loadCompactConfig([], env)).toMatchObject({
      targetFileSizeBytes: 128 * 1024 * 1024,
      minInputFiles: 2,
      graceMs: 7_200_000,
      dryRun: false,
      iceberg: { namespace: ['loglake'], table: 'events' },
    });
    expect(loadExpireConfig(['--older-than', '3d', '--retain-last', '5'], env)).toMatchObject({
      olderThanMs: 3 * 86_400_000,
      retainLast: 5,
      deleteFiles: true,
    });
    expect(loadOrphansConfig([], env)).toMatchObject({
      olderThanMs: 3 * 86_400_000,
      delete: false,
    });
    expect(loadCompactConfig(['--help'], env)).toBe('help');
  });

  it('refuse unknown options, bad numbers and an orphan threshold that could hit commits in flight', () => {
    for (const run of [
      () => loadCompactConfig(['--target'], env),
      () => loadExpireConfig(['--retain-last', '0'], env),
      () => loadOrphansConfig(['--older-than', '10m'], env),
      () => loadOrphansConfig(['--older-than', '12h'], env),
    ]) {
      expect(run).toThrow();
      try {
        run();
      } catch (error) {
        expect(hasCode(error, 'LOGLAKE_CONFIG_INVALID')).toBe(true);
      }
    }
  });
});
