import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A long-running process of the stack: its pid file, its log, and how to recognise it. */
export interface DaemonSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly logFile: string;
  readonly runDir: string;
  /** A string found in the process's command line, so that a reused pid is not taken for ours. */
  readonly marker: string;
}

export function pidFile(runDir: string, name: string): string {
  return join(runDir, `${name}.pid`);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/** The pid of the running daemon, or null when its pid file is missing or stale. */
export function runningPid(runDir: string, name: string, marker: string): number | null {
  const file = pidFile(runDir, name);
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0 || !processAlive(pid)) return null;
  // On Linux, check the command line too; elsewhere trust the pid file.
  if (existsSync('/proc') && !commandLine(pid).includes(marker)) return null;
  return pid;
}

/** Starts the process detached from us, output appended to its log; returns its pid. */
export function startDaemon(spec: DaemonSpec): number {
  mkdirSync(dirname(spec.logFile), { recursive: true });
  mkdirSync(spec.runDir, { recursive: true });
  const fd = openSync(spec.logFile, 'a');
  try {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      stdio: ['ignore', fd, fd],
      detached: true,
    });
    if (child.pid === undefined) throw new Error(`cannot start ${spec.command}`);
    child.unref();
    writeFileSync(pidFile(spec.runDir, spec.name), `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** Stops a daemon: SIGTERM, then SIGKILL after `graceMs`. Resolves when it is gone. */
export async function stopDaemon(
  runDir: string,
  name: string,
  marker: string,
  graceMs = 20000,
): Promise<boolean> {
  const pid = runningPid(runDir, name, marker);
  rmSync(pidFile(runDir, name), { force: true });
  if (pid === null) return false;
  signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (processAlive(pid) && Date.now() < deadline) await sleep(100);
  if (processAlive(pid)) {
    signal(pid, 'SIGKILL');
    while (processAlive(pid)) await sleep(50);
  }
  return true;
}

/** SIGKILL, as a crash would; waits until the process is gone. */
export async function killDaemon(runDir: string, name: string, marker: string): Promise<boolean> {
  const pid = runningPid(runDir, name, marker);
  if (pid === null) return false;
  signal(pid, 'SIGKILL');
  while (processAlive(pid)) await sleep(20);
  rmSync(pidFile(runDir, name), { force: true });
  return true;
}

export function isExited(pid: number): boolean {
  return !processAlive(pid);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}
