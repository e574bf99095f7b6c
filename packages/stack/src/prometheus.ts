import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runningPid, startDaemon, stopDaemon } from './daemon.ts';
import type { StackPaths } from './paths.ts';
import { waitUntilReady } from './wait.ts';

export const PROMETHEUS = { name: 'prometheus', port: 9090 } as const;

interface PrometheusContext {
  readonly paths: StackPaths;
  readonly timeoutMs: number;
  readonly log: (message: string) => void;
  /** The prometheus binary; Debian's package puts it on PATH. */
  readonly binary: string;
}

function dataDir(paths: StackPaths): string {
  return join(paths.data, 'prometheus');
}

/** Starts Prometheus with `infra/prometheus/prometheus.yml` and waits for `/-/ready`. */
export async function startPrometheus(ctx: PrometheusContext): Promise<boolean> {
  const logFile = join(ctx.paths.logs, 'prometheus.log');
  const dir = dataDir(ctx.paths);
  let pid = runningPid(ctx.paths.run, PROMETHEUS.name, dir);
  const started = pid === null;
  if (pid === null) {
    mkdirSync(dir, { recursive: true });
    pid = startDaemon({
      name: PROMETHEUS.name,
      command: ctx.binary,
      args: [
        `--config.file=${join(ctx.paths.infra, 'prometheus', 'prometheus.yml')}`,
        `--storage.tsdb.path=${dir}`,
        `--web.listen-address=127.0.0.1:${PROMETHEUS.port}`,
        '--web.enable-lifecycle',
      ],
      logFile,
      runDir: ctx.paths.run,
      marker: dir,
    });
    ctx.log(`started prometheus (pid ${pid}) on 127.0.0.1:${PROMETHEUS.port}; log ${logFile}`);
  }
  await waitUntilReady(
    async () => {
      const res = await fetch(`http://127.0.0.1:${PROMETHEUS.port}/-/ready`);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
    },
    { what: `Prometheus on 127.0.0.1:${PROMETHEUS.port}`, timeoutMs: ctx.timeoutMs, logFile, pid },
  );
  return started;
}

export function stopPrometheus(paths: StackPaths): Promise<boolean> {
  return stopDaemon(paths.run, PROMETHEUS.name, dataDir(paths));
}

export function prometheusRunning(paths: StackPaths): boolean {
  return runningPid(paths.run, PROMETHEUS.name, dataDir(paths)) !== null;
}
