/**
 * Applying one fault and confirming that it happened: a process exited by the signal sent, a frozen
 * process's threads all in state T, a port refusing connections, partitions moving to the other
 * sink. Each step is logged with its time; a fault is `confirmed` only when its evidence was seen.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  S3_SERVER,
  THREE_BROKERS,
  killKafkaNode,
  s3Running,
  startKafkaNode,
  startS3,
  stopS3,
  type StackPaths,
} from '@loglake/stack';
import { SINK_SESSION_TIMEOUT_MS, type FaultKind, type PlannedFault } from './plan.ts';
import type { ChaosService } from './processes.ts';
import { threadStates } from './processes.ts';
import { portRefuses, scrape, waitFor } from './probes.ts';

export interface ChaosSink {
  readonly service: ChaosService;
  readonly metricsUrl: string;
}

/** Everything a fault acts on. */
export interface ChaosWorld {
  readonly gateway: ChaosService;
  readonly gatewayPort: number;
  readonly sinks: readonly [ChaosSink, ChaosSink];
  readonly partitions: number;
  readonly stack: { readonly paths: StackPaths; readonly timeoutMs: number; log(m: string): void };
  /** Seconds since the load started. */
  elapsed(): number;
  log(message: string): void;
  /** Things to put back if the run is interrupted mid-fault (a stopped S3, a killed broker, a frozen sink). */
  readonly restore: Map<string, () => Promise<void>>;
}

export interface FaultRecord {
  readonly n: number;
  readonly kind: FaultKind;
  readonly target: string;
  /** When it was applied: ISO time and seconds since the load started. */
  readonly at: string;
  readonly t_s: number;
  /** How long the target was down or frozen (planned; the evidence has the real times). */
  readonly down_s: number;
  /** Seconds from the fault until the target served again. */
  recovered_after_s: number | null;
  confirmed: boolean;
  /** Each observation, prefixed with its time since the load started. */
  readonly evidence: string[];
  error?: string;
}

const ASSIGNED = 'loglake_sink_assigned_partitions';
const RETRIES = 'loglake_sink_upload_retries_total';

function assigned(sink: ChaosSink): Promise<number | null> {
  return scrape(sink.metricsUrl, ASSIGNED);
}

function targetOf(world: ChaosWorld, f: PlannedFault): string {
  if (f.kind === 'gateway-kill') return world.gateway.name;
  if (f.kind === 's3-stop') return S3_SERVER.name;
  if (f.kind === 'broker-kill') return `${THREE_BROKERS.name}-${f.victim}`;
  return (world.sinks[f.victim] as ChaosSink).service.name;
}

/** Applies `f`, waits until its target serves again, and returns what was seen. Never throws. */
export async function applyFault(world: ChaosWorld, f: PlannedFault): Promise<FaultRecord> {
  const t0 = Date.now();
  const rec: FaultRecord = {
    n: f.n,
    kind: f.kind,
    target: targetOf(world, f),
    at: new Date(t0).toISOString(),
    t_s: +world.elapsed().toFixed(1),
    down_s: +(f.downMs / 1000).toFixed(1),
    recovered_after_s: null,
    confirmed: false,
    evidence: [],
  };
  const see = (text: string) => {
    const line = `${world.elapsed().toFixed(1)}s ${text}`;
    rec.evidence.push(line);
    world.log(`fault #${f.n} ${f.kind} ${rec.target}: ${text}`);
  };
  const recovered = () => (rec.recovered_after_s = +((Date.now() - t0) / 1000).toFixed(1));
  try {
    switch (f.kind) {
      case 'gateway-kill':
        rec.confirmed = await gatewayKill(world, see);
        break;
      case 'sink-kill':
      case 'sink-term':
        rec.confirmed = await sinkStop(world, f.victim, f.kind === 'sink-kill', see);
        break;
      case 'sink-freeze':
        rec.confirmed = await sinkFreeze(world, f.victim, f.downMs, see);
        break;
      case 's3-stop':
        rec.confirmed = await s3Stop(world, t0 + f.downMs, see);
        break;
      case 'broker-kill':
        rec.confirmed = await brokerKill(world, f.victim, t0 + f.downMs, see);
        break;
    }
    recovered();
  } catch (error) {
    rec.error = (error as Error).message;
    see(`ERROR ${rec.error}`);
    await recoverAll(world, see);
  }
  return rec;
}

/** After a failed fault: whatever is down is started again, so that the run can go on. */
export async function recoverAll(world: ChaosWorld, see: (t: string) => void): Promise<void> {
  for (const [what, restore] of world.restore) {
    await restore().then(
      () => see(`restored ${what}`),
      (e: unknown) => see(`could not restore ${what}: ${String(e)}`),
    );
  }
  world.restore.clear();
  for (const s of [world.gateway, ...world.sinks.map((x) => x.service)]) {
    if (s.pid !== null) continue;
    await s.start().then(
      () => see(`started ${s.name} again`),
      (e: unknown) => see(`could not start ${s.name}: ${String(e)}`),
    );
  }
}

async function gatewayKill(world: ChaosWorld, see: (t: string) => void): Promise<boolean> {
  const pid = world.gateway.pid;
  const exit = await world.gateway.signal('SIGKILL', 10_000);
  see(`SIGKILL to process group ${pid}: exited with signal ${exit.signal}`);
  const refused = await portRefuses(world.gatewayPort);
  see(`port ${world.gatewayPort} ${refused ? 'refuses connections' : 'still ACCEPTS connections'}`);
  await world.gateway.start();
  see(`restarted (pid ${world.gateway.pid}), /readyz 200`);
  return exit.signal === 'SIGKILL' && refused;
}

/** Waits until `sink` owns all partitions (true) or `limitMs` passed (false). */
async function ownsAll(world: ChaosWorld, sink: ChaosSink, limitMs: number): Promise<boolean> {
  const n = await waitFor(
    async () => ((await assigned(sink)) === world.partitions ? true : null),
    limitMs,
  );
  return n === true;
}

/**
 * Waits until the restarted (or thawed) sink owns partitions again and the two sinks' counts add up
 * to the topic's (a thawed sink reports its old assignment until it learns it was evicted).
 */
async function rebalancedBack(
  world: ChaosWorld,
  victim: ChaosSink,
  other: ChaosSink,
  see: (t: string) => void,
): Promise<void> {
  const split = await waitFor(async () => {
    const [a, b] = [await assigned(victim), await assigned(other)];
    return a !== null && b !== null && a > 0 && a + b === world.partitions ? [a, b] : null;
  }, 90_000);
  see(
    split === null
      ? `${victim.service.name} owns no partition of its own 90 s later`
      : `${victim.service.name} owns ${split[0]} partitions again, ${other.service.name} ${split[1]}`,
  );
}

async function sinkStop(
  world: ChaosWorld,
  index: number,
  kill: boolean,
  see: (t: string) => void,
): Promise<boolean> {
  const victim = world.sinks[index] as ChaosSink;
  const other = world.sinks[1 - index] as ChaosSink;
  const before = [await assigned(victim), await assigned(other)];
  const pid = victim.service.pid;
  const exit = await victim.service.signal(kill ? 'SIGKILL' : 'SIGTERM');
  see(
    `${kill ? 'SIGKILL to process group' : 'SIGTERM to'} ${pid} (owned ${before[0]}, ${other.service.name} ${before[1]}): ` +
      `exited with ${exit.signal ?? `code ${exit.code}`}`,
  );
  const exited = kill ? exit.signal === 'SIGKILL' : exit.code === 0;
  if (!kill && exit.code !== 0) see(`a SIGTERM should end in exit code 0, not ${exit.code}`);
  const limit = SINK_SESSION_TIMEOUT_MS + 30_000;
  const moved = await ownsAll(world, other, limit);
  see(
    moved
      ? `${other.service.name} owns all ${world.partitions} partitions`
      : `${other.service.name} did not get all partitions within ${limit / 1000} s`,
  );
  await victim.service.start();
  see(`${victim.service.name} restarted (pid ${victim.service.pid}), /readyz 200`);
  await rebalancedBack(world, victim, other, see);
  return exited && moved;
}

async function sinkFreeze(
  world: ChaosWorld,
  index: number,
  holdMs: number,
  see: (t: string) => void,
): Promise<boolean> {
  const victim = world.sinks[index] as ChaosSink;
  const other = world.sinks[1 - index] as ChaosSink;
  const before = await assigned(victim);
  const pid = victim.service.freeze();
  world.restore.set(`${victim.service.name} frozen`, async () => victim.service.thaw());
  const t0 = Date.now();
  await sleep(300);
  const states = threadStates(pid);
  const stopped = states.length > 0 && states.every((s) => s === 'T');
  see(
    `SIGSTOP to process group ${pid} (owned ${before}): ${states.length} threads in /proc, states ${[...new Set(states)].join('')}`,
  );
  // Frozen for at least holdMs, and until the other sink has taken every partition (60 s at most).
  await sleep(Math.max(0, holdMs - (Date.now() - t0)));
  const moved = await ownsAll(world, other, 60_000 - (Date.now() - t0));
  see(
    moved
      ? `${other.service.name} owns all ${world.partitions} partitions while ${victim.service.name} is frozen`
      : `${other.service.name} did not get all partitions during the freeze`,
  );
  victim.service.thaw();
  world.restore.delete(`${victim.service.name} frozen`);
  const after = threadStates(pid);
  see(
    `SIGCONT after ${((Date.now() - t0) / 1000).toFixed(1)} s: states ${[...new Set(after)].join('')}`,
  );
  await rebalancedBack(world, victim, other, see);
  return stopped && moved && !after.includes('T');
}

async function sumRetries(world: ChaosWorld): Promise<number> {
  let n = 0;
  for (const s of world.sinks) n += (await scrape(s.metricsUrl, RETRIES)) ?? 0;
  return n;
}

async function s3Stop(
  world: ChaosWorld,
  until: number,
  see: (t: string) => void,
): Promise<boolean> {
  const { paths } = world.stack;
  const retries0 = await sumRetries(world);
  const stopped = await stopS3(paths);
  world.restore.set('s3', async () => void (await startS3(world.stack)));
  const refused = await portRefuses(S3_SERVER.port);
  see(
    `versitygw stopped: ${stopped ? 'its process exited' : 'NO PROCESS of this stack ran'}; ` +
      `port ${S3_SERVER.port} ${refused ? 'refuses connections' : 'still ACCEPTS connections'}`,
  );
  await sleep(Math.max(0, until - Date.now()));
  const retries = (await sumRetries(world)) - retries0;
  see(`sinks retried ${retries} lake writes while S3 was down`);
  await startS3(world.stack);
  world.restore.delete('s3');
  see(`versitygw started again (running: ${s3Running(paths)}), bucket answers`);
  return stopped && refused;
}

async function brokerKill(
  world: ChaosWorld,
  id: number,
  until: number,
  see: (t: string) => void,
): Promise<boolean> {
  const node = THREE_BROKERS.nodes.find((n) => n.id === id);
  if (!node) throw new Error(`no broker ${id}`);
  const killed = await killKafkaNode(world.stack.paths, THREE_BROKERS, id);
  world.restore.set(`broker ${id}`, () => startKafkaNode(world.stack, THREE_BROKERS, id));
  const refused = await portRefuses(node.port);
  see(
    `kill -9 of broker ${id}: ${killed ? 'its process exited' : 'NO PROCESS of this stack ran'}; ` +
      `port ${node.port} ${refused ? 'refuses connections' : 'still ACCEPTS connections'}`,
  );
  await sleep(Math.max(0, until - Date.now()));
  await startKafkaNode(world.stack, THREE_BROKERS, id);
  world.restore.delete(`broker ${id}`);
  see(`broker ${id} started again; the cluster sees all ${THREE_BROKERS.nodes.length} brokers`);
  return killed && refused;
}
