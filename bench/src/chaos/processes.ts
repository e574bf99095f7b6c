/**
 * The services of a chaos run as restartable child processes, each in its own process group so
 * that a freeze stops every thread and child, and a kill leaves nothing behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, mkdirSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { launchEnv, type NodeLaunch } from '@loglake/stack';

export interface ServiceSpec {
  readonly name: string;
  /** How node runs it (`serviceLaunch`). */
  readonly launch: NodeLaunch;
  readonly env: Readonly<Record<string, string>>;
  readonly readyUrl: string;
  readonly logFile: string;
}

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

function stateOf(statFile: string): string | null {
  try {
    // The command name (field 2) may hold spaces; the state follows its ") ".
    return readFileSync(statFile, 'utf8').split(') ')[1]?.[0] ?? null;
  } catch {
    return null;
  }
}

/** The one-letter state of every thread of `pid` (T: stopped), from /proc/<pid>/task/<tid>/stat. */
export function threadStates(pid: number): string[] {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  return tids.flatMap((tid) => stateOf(`/proc/${pid}/task/${tid}/stat`) ?? []);
}

/** One service: started, killed, stopped, frozen and started again, always under the same name. */
export class ChaosService {
  private child: ChildProcess | null = null;
  private exit: Promise<ExitStatus> = Promise.resolve({ code: null, signal: null });
  private starts = 0;

  constructor(
    private readonly root: string,
    readonly spec: ServiceSpec,
  ) {}

  get name(): string {
    return this.spec.name;
  }

  /** The running process's pid (also its process group), or null. */
  get pid(): number | null {
    const c = this.child;
    return c && c.exitCode === null && c.signalCode === null ? (c.pid ?? null) : null;
  }

  /** Spawns the service and resolves once its readiness URL answers 200 (90 s at most). */
  async start(): Promise<void> {
    if (this.pid !== null) throw new Error(`${this.name} is already running (pid ${this.pid})`);
    this.starts += 1;
    mkdirSync(dirname(this.spec.logFile), { recursive: true });
    appendFileSync(
      this.spec.logFile,
      `\n----- chaos: start #${this.starts} of ${this.name} at ${new Date().toISOString()}\n`,
    );
    const log = openSync(this.spec.logFile, 'a');
    const child = spawn(process.execPath, this.spec.launch.args, {
      cwd: this.root,
      stdio: ['ignore', log, log],
      env: launchEnv(this.spec.launch, {
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...this.spec.env,
      }),
      detached: true,
    });
    closeSync(log);
    this.child = child;
    this.exit = new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (this.pid === null)
        throw new Error(`${this.name} exited before it was ready; see ${this.spec.logFile}`);
      const ok = await fetch(this.spec.readyUrl, { signal: AbortSignal.timeout(2000) }).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      if (Date.now() > deadline) {
        await this.signal('SIGKILL');
        throw new Error(`${this.name} not ready after 90 s; see ${this.spec.logFile}`);
      }
      await sleep(200);
    }
  }

  /** Sends `sig` to the whole process group and waits for the exit (`limitMs` at most, then throws). */
  async signal(sig: 'SIGKILL' | 'SIGTERM', limitMs = 90_000): Promise<ExitStatus> {
    const pid = this.pid;
    if (pid === null) throw new Error(`${this.name} is not running`);
    if (sig === 'SIGTERM') this.group(pid, 'SIGCONT');
    // SIGTERM goes to the service alone (its shutdown is its own business); SIGKILL to the group.
    if (sig === 'SIGKILL') this.group(pid, 'SIGKILL');
    else process.kill(pid, 'SIGTERM');
    const timer = new Promise<null>((resolve) => setTimeout(() => resolve(null), limitMs).unref());
    const status = await Promise.race([this.exit, timer]);
    if (status === null) throw new Error(`${this.name} (pid ${pid}) did not exit after ${sig}`);
    return status;
  }

  /** SIGSTOP to the whole process group. */
  freeze(): number {
    const pid = this.pid;
    if (pid === null) throw new Error(`${this.name} is not running`);
    this.group(pid, 'SIGSTOP');
    return pid;
  }

  thaw(): void {
    const pid = this.pid;
    if (pid !== null) this.group(pid, 'SIGCONT');
  }

  /** For the end of the run or an interrupted one: SIGTERM and wait, or SIGKILL after `graceMs`. */
  async stop(graceMs = 60_000): Promise<ExitStatus | null> {
    if (this.pid === null) return null;
    try {
      return await this.signal('SIGTERM', graceMs);
    } catch {
      return this.pid === null ? null : this.signal('SIGKILL', 10_000);
    }
  }

  /** Synchronous last resort (process exit handlers). */
  killNow(): void {
    const pid = this.pid;
    if (pid !== null) this.group(pid, 'SIGKILL');
  }

  private group(pid: number, sig: NodeJS.Signals): void {
    try {
      process.kill(-pid, sig);
    } catch {
      // the group is gone
    }
  }
}
