import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { findRepoRoot, launchEnv, serviceLaunch, type ServiceName } from '@loglake/stack';

/** A port that was free a moment ago, on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
  /** SIGSTOP to the whole process group (a GC pause, a stalled host), and SIGCONT. */
  freeze(): void;
  thaw(): void;
  /** SIGTERM, and the exit code. */
  stop(): Promise<number | null>;
}

/** Runs a service's `src/main.ts` (or another script of it) as its Dockerfile does, with the given environment. */
export function startService(
  service: ServiceName,
  env: Record<string, string>,
  args: readonly string[] = [],
  script = 'main.ts',
): ServiceProcess {
  const root = findRepoRoot();
  const launch = serviceLaunch(root, service, script, args);
  const child = spawn(process.execPath, launch.args, {
    cwd: root,
    env: launchEnv(launch, { LOG_LEVEL: 'info', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so that a freeze stops every thread and child it has.
    detached: true,
  });
  const signalGroup = (signal: NodeJS.Signals) => {
    if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, signal);
  };
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return {
    child,
    output: () => out,
    exited,
    async kill() {
      signalGroup('SIGCONT');
      child.kill('SIGKILL');
      await exited;
    },
    freeze: () => signalGroup('SIGSTOP'),
    thaw: () => signalGroup('SIGCONT'),
    async stop() {
      signalGroup('SIGCONT');
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Polls `url` until it answers `status`, failing with the service's output after `timeoutMs`. */
export async function waitForStatus(
  url: string,
  status: number,
  proc: ServiceProcess,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.status === status) return;
    } catch {
      // not listening yet
    }
    if (proc.child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`${url} did not answer ${status}; output:\n${proc.output().slice(-3000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
