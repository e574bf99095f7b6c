/** The open-loop load: `pnpm generate` (services/generator) as a child process, and its CPU time. */
import { spawn } from 'node:child_process';
import { launchEnv, serviceLaunch } from '@loglake/stack';
import type { RunSummary } from '@loglake/traffic';
import { exitedChildrenCpuSeconds, round } from './proc-stats.ts';

/** The generator's JSON summary line. */
export type GeneratorSummary = RunSummary;

export interface GeneratorRun {
  readonly summary: GeneratorSummary;
  readonly cpu_s: number;
}

/**
 * Sends `rate` events/s for `seconds` in batches of `batch` with at most `concurrency` requests
 * in flight. One attempt per request (--max-attempts 1), so that every 429/5xx counts as failed.
 */
export async function runLoad(options: {
  readonly root: string;
  readonly target: string;
  readonly rate: number;
  readonly seconds: number;
  readonly batch: number;
  readonly concurrency: number;
}): Promise<GeneratorRun> {
  const launch = serviceLaunch(options.root, 'generator', 'main.ts', [
    ...['--target', options.target, '--rate', String(options.rate)],
    ...['--duration', `${options.seconds}s`, '--batch', String(options.batch)],
    ...['--concurrency', String(options.concurrency), '--metrics', 'off'],
    ...['--max-attempts', '1', '--max-rejected-ratio', '1'],
  ]);
  const cpu0 = exitedChildrenCpuSeconds();
  const child = spawn(process.execPath, launch.args, {
    cwd: options.root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: launchEnv(launch),
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-4000)));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const cpuS = exitedChildrenCpuSeconds() - cpu0;
  const line = stdout.trim().split('\n').at(-1) ?? '';
  let summary: GeneratorSummary;
  try {
    summary = JSON.parse(line) as GeneratorSummary;
  } catch {
    throw new Error(`generator exited ${code} without a summary:\n${stderr}`);
  }
  if (typeof summary.sent !== 'number' || typeof summary.latency_ms?.p99 !== 'number') {
    throw new Error(`generator summary lacks fields: ${line}`);
  }
  return { summary, cpu_s: round(cpuS, 2) };
}
