/**
 * `pnpm bench`: starts the local stack and measures, in one run, the ceilings of this machine
 * (Kafka's ProducerPerformance, an empty fastify route), the gateway alone into Kafka, the whole
 * pipeline into the local S3 server, and the sink alone draining a backlog. Progress and Markdown
 * tables on stderr, the JSON on stdout and in bench/results/<YYYY-MM-DD>.json (…-quick.json with
 * BENCH_QUICK=1). See docs/benchmarks.md.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { stackUp } from '@loglake/stack';
import { emptyFastify, producerPerformance } from './ceilings.ts';
import { createContext } from './context.ts';
import { LOAD_RULE } from './gateway-run.ts';
import { LAG_RULE } from './lag.ts';
import { round } from './proc-stats.ts';
import { gatewayScenario, pipelineScenario, sinkScenario } from './scenarios.ts';
import { SEARCH_RULE } from './search.ts';
import { killAll } from './services.ts';
import { loadSettings } from './settings.ts';
import { renderTables } from './table.ts';

const DEFINITIONS = {
  sustained: LOAD_RULE,
  lag_bounded: LAG_RULE,
  search: SEARCH_RULE,
  cpu_s_per_million:
    'user + system CPU seconds of the process (all threads, /proc/<pid>/stat) during the run, ' +
    'per million events accepted (gateway), committed (sink) or sent (generator)',
  peak_rss_mb: 'VmHWM of /proc/<pid>/status; every run starts its services afresh',
  rss_at_ready_mb:
    "the sink's VmHWM when it answered /readyz, before its first record (Node, modules, DuckDB)",
  latency_ms:
    "the generator's, from when each batch was due (open loop: waiting for a free connection counts)",
  sink_rows_per_s: 'rows committed ÷ seconds from the first send until the lag was 0',
  lag_zero_after_last_send_s: 'seconds after the last answer to the generator until the lag was 0',
};

function machine() {
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' }).stderr.split('\n')[0] ?? '';
  return {
    cpus: cpus().length,
    cpu_model: cpus()[0]?.model ?? 'unknown',
    memory_gb: round(totalmem() / 2 ** 30, 1),
    node: process.version,
    java: java.trim(),
    load_average_at_start: loadavg().map((x) => round(x, 2)),
  };
}

/** JSON with arrays of numbers on one line each (the lag samples). */
function toJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/\[\n[\s\d.,-]*\]/g, (m) =>
    m.replace(/\s+/g, ' ').replace('[ ', '[').replace(' ]', ']'),
  );
}

async function main(): Promise<void> {
  const settings = loadSettings(process.env);
  // The stack's S3 client would warn about Node 20 in the middle of the progress lines.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const started = performance.now();
  const date = new Date();
  const onSignal = () => {
    killAll();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const env = machine();
  const info = await stackUp({ kafka: ['single'], s3: true, prometheus: 'off' });
  const ctx = await createContext(info, settings);
  ctx.log(`${settings.quick ? 'QUICK run' : 'full run'}; service logs in ${ctx.logsDir}`);
  try {
    ctx.log('ceiling: Kafka ProducerPerformance');
    const producerPerf = await producerPerformance(ctx);
    ctx.log(`ceiling: ${producerPerf.records_per_s} records/s; empty fastify route`);
    const fastifyEmpty = await emptyFastify(ctx);
    ctx.log(`ceiling: empty fastify ${fastifyEmpty.events_per_s} events/s`);
    const gateway = await gatewayScenario(ctx);
    const pipeline = await pipelineScenario(ctx);
    const sinkAlone = await sinkScenario(ctx);
    const measured = {
      ceilings: { kafka_producer_perf: producerPerf, fastify_empty: fastifyEmpty },
      gateway,
      pipeline,
      sink_alone: sinkAlone,
    };
    const results = {
      bench: 'loglake',
      date: date.toISOString(),
      quick: settings.quick,
      wall_s: Math.round((performance.now() - started) / 1000),
      machine: { ...env, load_average_at_end: loadavg().map((x) => round(x, 2)) },
      settings,
      s3_prefix: `s3://${ctx.s3.bucket}/${ctx.runTag}/`,
      definitions: DEFINITIONS,
      ...measured,
    };
    const dir = join(ctx.root, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const file = join(
      dir,
      `${date.toISOString().slice(0, 10)}${settings.quick ? '-quick' : ''}.json`,
    );
    writeFileSync(file, `${toJson(results)}\n`);
    process.stderr.write(`\n${renderTables(measured)}\n`);
    process.stdout.write(`${toJson(results)}\n`);
    ctx.log(`wrote ${file} (wall time ${results.wall_s} s)`);
  } finally {
    killAll();
    await ctx.admin.disconnect();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  killAll();
  process.exit(1);
});
