import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from './processes.ts';
import { waitUntil } from './fixtures.ts';

export interface PromSample {
  readonly metric: Record<string, string>;
  readonly value: number;
}

export interface PrometheusUnderTest {
  readonly url: string;
  /** An instant query; throws with Prometheus's error text when it rejects the expression. */
  query(expr: string): Promise<PromSample[]>;
  stop(): Promise<void>;
}

/**
 * Debian's Prometheus, scraping the given jobs every second and evaluating `ruleFiles`, with its
 * own port and storage in a temporary folder.
 */
export async function startPrometheus(
  jobs: Record<string, string>,
  ruleFiles: readonly string[],
): Promise<PrometheusUnderTest> {
  const dir = mkdtempSync(join(tmpdir(), 'loglake-prom-'));
  const port = await freePort();
  const config = {
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    rule_files: [...ruleFiles],
    scrape_configs: Object.entries(jobs).map(([job, target]) => ({
      job_name: job,
      static_configs: [{ targets: [target] }],
    })),
  };
  writeFileSync(join(dir, 'prometheus.yml'), stringify(config));
  const child = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-5000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntil(`prometheus ready on ${url}`, async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited: ${log}`);
      return (await fetch(`${url}/-/ready`)).ok ? true : undefined;
    });
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    url,
    async query(expr) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as {
        status: string;
        error?: string;
        data?: {
          resultType: string;
          result: { metric: Record<string, string>; value: [number, string] }[];
        };
      };
      if (body.status !== 'success' || !body.data) {
        throw new Error(`prometheus refused ${expr}: ${body.error ?? res.status}`);
      }
      if (body.data.resultType === 'scalar') {
        const [, v] = body.data.result as unknown as [number, string];
        return [{ metric: {}, value: Number(v) }];
      }
      return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
