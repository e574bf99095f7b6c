/**
 * The load: `pnpm generate`'s code (services/generator) as a child process, open loop. A dead
 * gateway refuses connections; the generator retries those (and 429/503) with its backoff, so
 * --max-attempts is set high enough that no request gives up while a fault lasts: then the events
 * answered 2xx, the summary's `accepted`, are sequence numbers 1..accepted, the set verify expects.
 * A pipeline that stops acknowledging for good would keep it retrying for hours: a watchdog stops
 * the generator when its acknowledged count has not moved for `stallMs`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { launchEnv, serviceLaunch } from '@loglake/stack';
import type { RunSummary } from '@loglake/traffic';

/** Enough attempts for a minute-long outage (the generator waits 0.5 s × attempt after an error). */
export const MAX_ATTEMPTS = 1000;

const running = new Set<ChildProcess>();

/** For an interrupted run: the generator goes too (it would retry against a dead gateway for long). */
export function killLoad(): void {
  for (const child of running) child.kill('SIGKILL');
}

export interface LoadRun {
  /** Null when the watchdog stopped the generator (it prints its summary only at the end). */
  readonly summary: RunSummary | null;
  /** The summary line, as `pnpm verify --summary` reads it. */
  readonly summaryFile: string | null;
  readonly exitCode: number | null;
  /** The acknowledged count of the last progress line. */
  readonly lastAccepted: number;
  readonly stalled: {
    readonly at_s: number;
    readonly for_s: number;
    readonly last_progress: string;
  } | null;
}

export function startLoad(options: {
  readonly root: string;
  readonly target: string;
  readonly rate: number;
  readonly durationMs: number;
  readonly seed: number;
  readonly runId: string;
  readonly logFile: string;
  readonly summaryFile: string;
  readonly stallMs: number;
  readonly log: (line: string) => void;
}): Promise<LoadRun> {
  const launch = serviceLaunch(options.root, 'generator', 'main.ts', [
    ...['--target', options.target, '--rate', String(options.rate)],
    ...['--duration', `${options.durationMs}ms`, '--seed', String(options.seed)],
    ...['--run-id', options.runId, '--max-attempts', String(MAX_ATTEMPTS), '--metrics', 'off'],
  ]);
  const started = Date.now();
  const child = spawn(process.execPath, launch.args, {
    cwd: options.root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: launchEnv(launch, { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }),
  });
  running.add(child);
  let accepted = 0;
  let movedAt = Date.now();
  let lastLine = '';
  let stalled: LoadRun['stalled'] = null;
  const watchdog = setInterval(() => {
    if (Date.now() - movedAt < options.stallMs || stalled) return;
    stalled = {
      at_s: +((movedAt - started) / 1000).toFixed(1),
      for_s: +((Date.now() - movedAt) / 1000).toFixed(1),
      last_progress: lastLine,
    };
    options.log(`no event acknowledged for ${stalled.for_s} s: stopping the generator`);
    child.kill('SIGKILL');
  }, 1000);
  let stdout = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => {
    appendFileSync(options.logFile, c);
    for (const line of c.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      options.log(line.trim());
      const m = /accepted (\d+)/.exec(line);
      if (m && Number(m[1]) > accepted) {
        accepted = Number(m[1]);
        movedAt = Date.now();
      }
      lastLine = line.trim();
    }
  });
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearInterval(watchdog);
      running.delete(child);
      const line = stdout.trim().split('\n').at(-1) ?? '';
      let summary: RunSummary | null = null;
      try {
        summary = JSON.parse(line) as RunSummary;
        writeFileSync(options.summaryFile, `${line}\n`);
      } catch {
        options.log(`the generator exited ${code} without a summary; see ${options.logFile}`);
      }
      resolve({
        summary,
        summaryFile: summary ? options.summaryFile : null,
        exitCode: code,
        lastAccepted: summary?.accepted ?? accepted,
        stalled,
      });
    }),
  );
}
