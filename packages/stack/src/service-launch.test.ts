import { describe, expect, it } from 'vitest';
import { SERVICE_NODE_OPTIONS, launchEnv, scriptLaunch, serviceLaunch } from './service-launch.ts';

describe('serviceLaunch', () => {
  it('runs the service script through tsx with its own V8 flags', () => {
    const launch = serviceLaunch('/repo', 'sink');
    expect(launch.args).toEqual(['--import', 'tsx', '/repo/services/sink/src/main.ts']);
    expect(launchEnv(launch, {}, {}).NODE_OPTIONS?.split(' ')).toContain('--max-semi-space-size=2');
  });

  it('puts the service flags before an inherited NODE_OPTIONS, so that one given there too wins', () => {
    const launch = scriptLaunch('/x.ts', SERVICE_NODE_OPTIONS.sink);
    expect(launchEnv(launch, {}, { NODE_OPTIONS: '--cpu-prof --max-semi-space-size=8' })).toEqual({
      NODE_OPTIONS: '--max-semi-space-size=2 --cpu-prof --max-semi-space-size=8',
    });
  });

  it('sets no NODE_OPTIONS when there are none', () => {
    expect(launchEnv(scriptLaunch('/x.ts', ''), {}, {})).toEqual({});
  });

  it('passes a script and its arguments', () => {
    expect(serviceLaunch('/repo', 'sink', 'lake-check.ts', ['--no-kafka']).args).toEqual([
      '--import',
      'tsx',
      '/repo/services/sink/src/lake-check.ts',
      '--no-kafka',
    ]);
  });

  it("adds a caller's NODE_OPTIONS after the service's own, and keeps the caller's other settings", () => {
    const launch = scriptLaunch('/x.ts', SERVICE_NODE_OPTIONS.sink);
    const env = launchEnv(launch, { NODE_OPTIONS: '--cpu-prof', LOG_LEVEL: 'warn' }, {});
    expect(env.NODE_OPTIONS).toBe('--max-semi-space-size=2 --cpu-prof');
    expect(env.LOG_LEVEL).toBe('warn');
    expect(launchEnv(launch, {}, {}).NODE_OPTIONS).toBe('--max-semi-space-size=2');
  });
});
