import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runningPid } from './daemon.ts';
import { waitUntilReady } from './wait.ts';

const dir = mkdtempSync(join(tmpdir(), 'loglake-stack-test-'));
const logFile = join(dir, 'thing.log');
writeFileSync(logFile, 'line one\nbind failed: address already in use\n');

describe('waitUntilReady', () => {
  it('resolves as soon as the probe passes', async () => {
    let calls = 0;
    await waitUntilReady(
      () => {
        calls += 1;
        return calls < 3 ? Promise.reject(new Error('not yet')) : Promise.resolve();
      },
      { what: 'thing', timeoutMs: 5000, logFile, intervalMs: 1 },
    );
    expect(calls).toBe(3);
  });

  it('names what did not start, its log and the log tail when the time limit passes', async () => {
    await expect(
      waitUntilReady(() => Promise.reject(new Error('connection refused')), {
        what: 'Widget on 127.0.0.1:1',
        timeoutMs: 30,
        logFile,
        intervalMs: 5,
      }),
    ).rejects.toThrow(
      /Widget on 127\.0\.0\.1:1 not ready after .*connection refused.*thing\.log[\s\S]*address already in use/,
    );
  });

  it('fails at once when the watched process has exited', async () => {
    const child = spawn(process.execPath, ['-e', 'process.exit(3)']);
    await new Promise((resolve) => child.once('exit', resolve));
    const begun = Date.now();
    await expect(
      waitUntilReady(() => Promise.reject(new Error('refused')), {
        what: 'Widget',
        timeoutMs: 60_000,
        logFile,
        pid: child.pid ?? -1,
      }),
    ).rejects.toThrow(/exited during start-up/);
    expect(Date.now() - begun).toBeLessThan(30_000);
  });
});

describe('runningPid', () => {
  it('ignores a pid file whose process is not ours', () => {
    writeFileSync(join(dir, 'other.pid'), `${process.pid}\n`);
    expect(runningPid(dir, 'other', 'no-such-marker-in-cmdline')).toBeNull();
    expect(runningPid(dir, 'missing', 'x')).toBeNull();
  });
});
