import { describe, expect, it } from 'vitest';
import { OptionsError, parseDuration, parseOptions } from './options.ts';

describe('parseOptions', () => {
  it('has defaults and reads every option', () => {
    expect(parseOptions([])).toMatchObject({
      rate: 1000,
      durationMs: 60_000,
      count: null,
      batch: 100,
      profile: 'tracking',
      seed: 1,
    });
    expect(
      parseOptions([
        '--rate',
        '10000',
        '--duration',
        '2m',
        '--batch',
        '500',
        '--profile',
        'mix',
        '--seed',
        '7',
        '--direct-kafka',
        '--api-key',
        'k',
      ]),
    ).toMatchObject({
      rate: 10_000,
      durationMs: 120_000,
      batch: 500,
      profile: 'mix',
      seed: 7,
      directKafka: true,
      apiKey: 'k',
    });
    expect(parseOptions(['--count', '500'])).toMatchObject({ count: 500, durationMs: null });
    expect(parseOptions(['--help'])).toBe('help');
  });

  it.each([
    [['--rate', '0'], /--rate/],
    [['--rate', 'fast'], /--rate/],
    [['--duration', '10 minutes'], /--duration/],
    [['--profile', 'random'], /--profile/],
    [['--target', 'not a url'], /--target/],
    [['--max-rejected-ratio', '2'], /--max-rejected-ratio/],
    [['--seed', '-1'], /--seed/],
    [['--bogus'], /bogus/],
    [['--metrics', '9466'], /--metrics/],
    [['--metrics', 'host:99999'], /--metrics/],
  ])('refuses %j with a message naming the option', (argv, message) => {
    expect(() => parseOptions(argv)).toThrow(OptionsError);
    expect(() => parseOptions(argv)).toThrow(message);
  });

  it('serves metrics on 127.0.0.1:9466 unless told another place or off', () => {
    const metricsOf = (argv: string[]) => {
      const o = parseOptions(argv);
      return o === 'help' ? undefined : o.metrics;
    };
    expect(metricsOf([])).toEqual({ host: '127.0.0.1', port: 9466 });
    expect(metricsOf(['--metrics', '0.0.0.0:9500'])).toEqual({ host: '0.0.0.0', port: 9500 });
    expect(metricsOf(['--metrics', 'off'])).toBeNull();
  });

  it('parses durations', () => {
    expect([
      parseDuration('500ms'),
      parseDuration('1.5s'),
      parseDuration('5m'),
      parseDuration('1h'),
    ]).toEqual([500, 1500, 300_000, 3_600_000]);
  });
});
