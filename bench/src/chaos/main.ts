/**
 * `pnpm chaos`: 5,000 events/s for 10 minutes through one gateway and two sinks on the local stack,
 * with a seeded random fault every 30 s (SIGKILL of the gateway or a sink, SIGTERM or a freeze past
 * the session timeout of a sink, S3 stopped for 10-20 s; with --three, a broker killed for 15-30 s);
 * then the sinks drain and `pnpm verify` and `pnpm lake:check` say whether every acknowledged event
 * is in the lake exactly once. Progress on stderr, the JSON result on stdout, Markdown tables on
 * stderr. Exit 0 when it passes, 1 when not, 2 on bad options. See docs/reliability.md.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ChaosWorld } from './faults.ts';
import { killLoad } from './load.ts';
import { CHAOS_HELP, ChaosOptionsError, parseChaosOptions } from './options.ts';
import { renderTables } from './report.ts';
import { runChaos } from './run.ts';

const started = Date.now();
let logFile: string | null = null;
const log = (message: string) => {
  const line = `[chaos ${new Date().toISOString().slice(11, 19)} +${((Date.now() - started) / 1000).toFixed(0)}s] ${message}\n`;
  process.stderr.write(line);
  if (logFile) appendFileSync(logFile, line);
};

let world: ChaosWorld | null = null;
let stopStarted: (() => Promise<string[]>) | null = null;

/** An interrupted run: thaw and kill its services, start what a fault stopped, then exit. */
async function interrupted(signal: string, code = 130): Promise<never> {
  log(`${signal}: stopping the services and putting the stack back`);
  killLoad();
  if (world) {
    for (const s of [world.gateway, ...world.sinks.map((x) => x.service)]) s.killNow();
    for (const [what, restore] of world.restore)
      await restore().then(
        () => log(`restored ${what}`),
        (e: unknown) => log(`could not restore ${what}: ${String(e)}`),
      );
  }
  if (stopStarted) {
    const stopped = await stopStarted().catch(() => []);
    if (stopped.length > 0)
      log(`stopped what this run started of the stack: ${stopped.join(', ')}`);
  }
  process.exit(code);
}

async function main(argv: string[]): Promise<number> {
  let options;
  try {
    options = parseChaosOptions(argv);
  } catch (error) {
    if (!(error instanceof ChaosOptionsError)) throw error;
    process.stderr.write(`chaos: ${error.message}\n\n${CHAOS_HELP}\n`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(`${CHAOS_HELP}\n`);
    return 0;
  }
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  process.once('SIGINT', () => void interrupted('SIGINT'));
  process.once('SIGTERM', () => void interrupted('SIGTERM'));
  const seedGiven = argv.some((a) => a === '--seed' || a.startsWith('--seed='));
  const command =
    `pnpm chaos ${[...argv, ...(seedGiven ? [] : ['--seed', String(options.seed)])].join(' ')}`.trim();
  log(`${command}`);
  const result = await runChaos(options, command, {
    log,
    attach: (w, stop) => {
      world = w;
      stopStarted = stop;
      logFile = join(dirname(String(w.gateway.spec.logFile)), 'chaos.log');
    },
  });
  const tables = renderTables(result);
  process.stderr.write(`\n${tables}\n`);
  writeFileSync(join(dirname(String(logFile)), 'result.md'), tables);
  const json = `${JSON.stringify(result, null, 2)}\n`;
  if (options.out) {
    mkdirSync(dirname(options.out), { recursive: true });
    writeFileSync(options.out, json);
  }
  process.stdout.write(json);
  log(result.pass ? 'PASS' : `FAIL: ${result.fail_reasons.join('; ')}`);
  return result.pass ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(`chaos failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    void (world ? interrupted('error', 1) : process.exit(1));
  },
);
