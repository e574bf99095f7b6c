import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { Logger } from '@loglake/core';

/**
 * `GATEWAY_WORKERS`: several gateway processes on one port (node:cluster; the primary accepts
 * connections and hands them to the workers in turn). Each worker is a whole gateway with its own
 * idempotent producer; the primary serves the admin port: every worker's metrics summed, ready when
 * every worker is.
 */

const READY_ASK = 'loglake:ready?';
const READY_SAY = 'loglake:ready';
/** How long the primary waits for a worker to say whether it is ready. */
const READY_ANSWER_MS = 1000;

interface ReadyAsk {
  readonly type: typeof READY_ASK;
  readonly n: number;
}
interface ReadySay {
  readonly type: typeof READY_SAY;
  readonly n: number;
  readonly ready: boolean;
}

const isMessage = <T extends { type: string }>(m: unknown, type: T['type']): m is T =>
  typeof m === 'object' && m !== null && (m as { type?: unknown }).type === type;

/** In a worker: lets the primary gather this worker's metrics and ask whether it is ready. */
export function answerPrimary(registry: Registry, ready: () => boolean): void {
  // prom-client answers the primary's metric requests from listeners that only its constructor adds.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
  process.on('message', (m: unknown) => {
    if (isMessage<ReadyAsk>(m, READY_ASK)) {
      const say: ReadySay = { type: READY_SAY, n: m.n, ready: ready() };
      process.send?.(say);
    }
  });
}

export interface WorkerPool {
  /** Every worker's metrics, summed per series (prom-client's cluster aggregation). */
  metrics(): Promise<string>;
  readonly contentType: string;
  /** Every wanted worker runs and says it is ready. */
  ready(): Promise<boolean>;
  /** SIGTERM to every worker; resolves with 0 when each drained and exited 0, else 1. */
  stop(): Promise<number>;
}

function askReady(worker: Worker, n: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, READY_ANSWER_MS, false);
    function done(ready: boolean) {
      clearTimeout(timer);
      worker.off('message', onMessage);
      resolve(ready);
    }
    function onMessage(m: unknown) {
      if (isMessage<ReadySay>(m, READY_SAY) && m.n === n) done(m.ready);
    }
    worker.on('message', onMessage);
    const ask: ReadyAsk = { type: READY_ASK, n };
    worker.send(ask);
  });
}

/**
 * In the primary: starts `count` workers (this same program, run again by node:cluster) and keeps
 * that many running: a worker that dies outside a shutdown is logged and replaced. A worker that
 * exits before it ever listened (refused credentials, a port in use) would fail again: `onFailedStart`
 * is called with its exit code instead.
 */
export function startWorkers(
  count: number,
  logger: Logger,
  onFailedStart: (code: number) => void,
): WorkerPool {
  const aggregator = new AggregatorRegistry();
  const listened = new Set<number>();
  let stopping = false;
  let asked = 0;
  const fork = () => cluster.fork();
  cluster.on('listening', (worker) => listened.add(worker.id));
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    if (!listened.has(worker.id)) {
      logger.fatal(
        { event: 'gateway_worker_failed_start', worker: worker.id, code, signal },
        'a gateway worker exited before it listened; stopping',
      );
      onFailedStart(code || 1);
      return;
    }
    logger.error(
      { event: 'gateway_worker_died', worker: worker.id, code, signal },
      'a gateway worker died; starting another',
    );
    fork();
  });
  for (let i = 0; i < count; i += 1) fork();
  const workers = () => Object.values(cluster.workers ?? {}).filter((w) => w !== undefined);
  return {
    metrics: () => aggregator.clusterMetrics(),
    contentType: aggregator.contentType,
    async ready() {
      const live = workers().filter((w) => w.isConnected());
      if (stopping || live.length < count) return false;
      const answers = await Promise.all(live.map((w) => askReady(w, (asked += 1))));
      return answers.every(Boolean);
    },
    async stop() {
      stopping = true;
      const exits = workers().map(
        (w) =>
          new Promise<number>((resolve) => {
            if (w.isDead()) return resolve(w.process.exitCode ?? 1);
            w.once('exit', (code, signal) => {
              logger.info(
                { event: 'gateway_worker_stopped', worker: w.id, code, signal },
                'a gateway worker stopped',
              );
              resolve(code ?? 1);
            });
            w.process.kill('SIGTERM');
          }),
      );
      const codes = await Promise.all(exits);
      return codes.every((c) => c === 0) ? 0 : 1;
    },
  };
}
