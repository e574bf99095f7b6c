/**
 * One chaos run: the load through one gateway and two sinks while a seeded fault is applied every
 * interval; then no more faults, the sinks drain, stop, and `pnpm verify` and `pnpm lake:check` judge.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sampleLag, waitForZeroLag } from '../lag.ts';
import { classify, type Classification } from './analysis.ts';
import { runScript, verifyTakesSummary } from './checks.ts';
import { applyFault, type ChaosWorld, type FaultRecord } from './faults.ts';
import { startLoad, type LoadRun } from './load.ts';
import type { ChaosOptions } from './options.ts';
import { planFaults, type PlannedFault } from './plan.ts';
import { failReasons, lakeCheckPart, type ChaosResult } from './report.ts';
import {
  PARTITIONS,
  SINK_OVERRIDES,
  createServices,
  prepare,
  type ChaosServices,
  type ChaosSetup,
} from './setup.ts';

export interface Progress {
  log(message: string): void;
  /** Called once the world exists, so that an interrupted run can put the stack back. */
  attach(world: ChaosWorld, stopStarted: () => Promise<string[]>): void;
}

/** Applies the planned faults on schedule until the plan ends or `stopped()` says so. */
async function faultLoop(
  world: ChaosWorld,
  plan: readonly PlannedFault[],
  loadStart: number,
  stopped: () => boolean,
): Promise<FaultRecord[]> {
  const records: FaultRecord[] = [];
  for (const f of plan) {
    while (!stopped() && Date.now() < loadStart + f.dueMs) await sleep(100);
    if (stopped()) break;
    records.push(await applyFault(world, f));
  }
  return records;
}

async function loadWithFaults(
  setup: ChaosSetup,
  services: ChaosServices,
  world: ChaosWorld,
  options: ChaosOptions,
  loadStart: number,
): Promise<{ load: LoadRun; faults: FaultRecord[]; loadEndedAt: number }> {
  const plan = planFaults(options);
  world.log(
    `plan (seed ${options.seed}): ${plan.map((f) => `${f.dueMs / 1000}s ${f.kind}${f.kind.startsWith('sink') || f.kind === 'broker-kill' ? `[${f.victim}]` : ''}`).join(', ')}`,
  );
  let loadDone = false;
  let loadEndedAt = 0;
  const load = startLoad({
    root: setup.root,
    target: `http://127.0.0.1:${services.gatewayPort}/events`,
    rate: options.rate,
    durationMs: options.durationMs,
    seed: options.seed,
    runId: setup.tag,
    logFile: join(setup.logsDir, 'generator.log'),
    summaryFile: join(setup.logsDir, 'generator-summary.json'),
    stallMs: options.stallTimeoutMs,
    log: (line) => world.log(`[generator] ${line}`),
  }).finally(() => {
    loadDone = true;
    loadEndedAt = Date.now();
  });
  const faults = faultLoop(world, plan, loadStart, () => loadDone);
  // The load may fail; the faults still finish (and restore what they took down) first.
  const [l, f] = await Promise.allSettled([load, faults]);
  if (f.status === 'rejected') throw f.reason;
  if (l.status === 'rejected') throw l.reason;
  return { load: l.value, faults: f.value, loadEndedAt };
}

async function checks(setup: ChaosSetup, load: LoadRun, log: (m: string) => void) {
  const logFile = join(setup.logsDir, 'checks.log');
  const env = setup.clientEnv;
  const withSummary = await verifyTakesSummary(setup.root, env, logFile);
  const common = ['--lake', setup.lakeUrl, '--topic', setup.topic];
  // Without a summary (the load was stopped), verify looks for the run's seqs up to the largest found.
  const run = load.summaryFile ? ['--summary', load.summaryFile] : ['--run', setup.tag];
  const verifyArgs = withSummary
    ? [...run, ...common, '--group', setup.group, '--wait', '60']
    : [
        ...['--run', setup.tag],
        ...(load.summary ? ['--expected', String(load.summary.accepted)] : []),
        ...common,
      ];
  log(`pnpm verify ${verifyArgs.join(' ')}`);
  const verify = await runScript(setup.root, 'verify', verifyArgs, env, logFile);
  log(`verify exited ${verify.code}: ${JSON.stringify(verify.json)}`);
  const lakeArgs = [...common, '--group', setup.group];
  log(`pnpm lake:check ${lakeArgs.join(' ')}`);
  const lake = await runScript(setup.root, 'lake:check', lakeArgs, env, logFile);
  log(`lake:check exited ${lake.code}${lake.json ? '' : `, no JSON report: ${lake.stderrTail}`}`);
  return { verify, lake };
}

function maxLag(samples: readonly { t: number; lag: number }[]) {
  let best: { records: number; at_s: number } | null = null;
  for (const s of samples) if (!best || s.lag > best.records) best = { records: s.lag, at_s: s.t };
  return best;
}

/** No more faults: waits for the group to commit everything, then stops the services (SIGTERM). */
async function drainAndStop(
  setup: ChaosSetup,
  services: ChaosServices,
  limitS: number,
  log: (m: string) => void,
) {
  const drained = await waitForZeroLag(setup.admin, setup.topic, setup.group, limitS);
  log(drained === null ? `not drained after ${limitS} s` : `drained: lag 0 after ${drained} s`);
  const exits: Record<string, string> = {};
  for (const s of [services.gateway, ...services.sinks.map((x) => x.service)]) {
    const e = await s.stop();
    exits[s.name] = e ? (e.signal ?? `exit ${e.code}`) : 'not running';
  }
  log(`services stopped: ${JSON.stringify(exits)}`);
  return { drained, exits };
}

type VerifyJson = { expected?: number; found?: number; missing?: number; duplicated?: number };

/** verify and lake:check, and where missing or duplicated events came from when there are any. */
async function judge(setup: ChaosSetup, load: LoadRun, log: (m: string) => void) {
  const { verify, lake } = await checks(setup, load, log);
  const report = verify.json as VerifyJson | null;
  let analysis: Classification | null = null;
  if (report) {
    // Always: how many copies Kafka holds (client resends) is what the lake's count is judged against.
    log('counting each seq in Kafka and in the lake');
    analysis = await classify({
      kafka: setup.kafka,
      topic: setup.topic,
      runId: setup.tag,
      expected: load.summary?.accepted ?? report?.expected ?? 0,
      lakeDir: setup.lakeDir,
    }).catch((e: unknown) => {
      log(`analysis failed: ${String(e)}`);
      return null;
    });
  }
  return { verify, lake, report, analysis };
}

function settingsOf(options: ChaosOptions, setup: ChaosSetup) {
  return {
    duration_s: options.durationMs / 1000,
    rate: options.rate,
    interval_s: options.intervalMs / 1000,
    cluster: options.three ? 'three brokers, RF 3, min.insync.replicas 2' : 'one broker',
    partitions: PARTITIONS,
    sink_env: SINK_OVERRIDES,
    topic: setup.topic,
    group: setup.group,
    lake: setup.lakeUrl,
    logs: setup.logsDir,
  };
}

export async function runChaos(
  options: ChaosOptions,
  command: string,
  progress: Progress,
): Promise<ChaosResult> {
  const startedAt = new Date();
  const log = (m: string) => progress.log(m);
  const setup = await prepare(options, log);
  log(
    `topic ${setup.topic} (RF ${setup.replicationFactor}), group ${setup.group}, lake ${setup.lakeUrl}; logs ${setup.logsDir}`,
  );
  const services = await createServices(setup);
  let loadStart = Date.now();
  const world: ChaosWorld = {
    ...services,
    partitions: PARTITIONS,
    stack: { paths: setup.paths, timeoutMs: 120_000, log },
    elapsed: () => (Date.now() - loadStart) / 1000,
    log,
    restore: new Map(),
  };
  progress.attach(world, () => setup.stopStarted());
  try {
    for (const s of services.sinks) await s.service.start();
    await services.gateway.start();
    log('gateway and two sinks ready; the load starts');
    loadStart = Date.now();
    const sampler = sampleLag(setup.admin, setup.topic, setup.group);
    const run = await loadWithFaults(setup, services, world, options, loadStart);
    const { load, faults } = run;
    const outcome = JSON.stringify(load.summary ?? load.stalled);
    log(`load over: ${outcome}; ${faults.length} faults; draining`);
    const limitS = options.drainTimeoutMs / 1000;
    const { drained, exits } = await drainAndStop(setup, services, limitS, log);
    const sinceLoad = drained === null ? null : +((Date.now() - run.loadEndedAt) / 1000).toFixed(1);
    await sampler.stop();
    const { verify, lake, report, analysis } = await judge(setup, load, log);
    const byKind: Record<string, number> = {};
    for (const f of faults) byKind[f.kind] = (byKind[f.kind] ?? 0) + 1;
    const base = {
      chaos: 'loglake' as const,
      command,
      seed: options.seed,
      started_at: startedAt.toISOString(),
      ended_at: new Date().toISOString(),
      wall_s: Math.round((Date.now() - startedAt.getTime()) / 1000),
      settings: settingsOf(options, setup),
      faults,
      faults_by_kind: byKind,
      generator: load.summary,
      load_stalled: load.stalled,
      events_acknowledged: load.summary?.accepted ?? null,
      found: report?.found ?? null,
      missing: report?.missing ?? null,
      duplicated: report?.duplicated ?? null,
      verify: { command: verify.command, exit_code: verify.code, report: verify.json },
      lake_check: lakeCheckPart(lake),
      analysis,
      max_lag: maxLag(sampler.samples),
      drain: { seconds: drained, after_load_end_s: sinceLoad, limit_s: limitS },
      service_exits: exits,
    };
    const reasons = failReasons(base);
    const result: ChaosResult = { ...base, pass: reasons.length === 0, fail_reasons: reasons };
    await cleanUp(setup, result, log);
    return result;
  } finally {
    for (const s of [services.gateway, ...services.sinks.map((x) => x.service)]) s.killNow();
    await setup.admin.disconnect();
    const stopped = await setup.stopStarted();
    if (stopped.length > 0)
      log(`stopped what this run started of the stack: ${stopped.join(', ')}`);
  }
}

/** A passing run's topic goes (its lake stays); a failing run keeps both, to be looked into. */
async function cleanUp(setup: ChaosSetup, result: ChaosResult, log: (m: string) => void) {
  for (const s of ['sink-a', 'sink-b'])
    rmSync(join(setup.logsDir, `${s}-tmp`), { recursive: true, force: true });
  writeFileSync(join(setup.logsDir, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
  if (!result.pass) {
    log(`kept topic ${setup.topic} and group ${setup.group} for a look`);
    return;
  }
  await setup.admin
    .deleteTopics([setup.topic, `${setup.topic}-dlq`])
    .catch((e: unknown) => log(`could not delete the topic: ${String(e)}`));
  await setup.admin.deleteGroups([setup.group]).catch(() => undefined);
}
