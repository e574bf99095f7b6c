/**
 * `pnpm stack:up | stack:down | stack:status | start` — the local stack without Docker.
 *   up [--three] [--no-prometheus] [--timeout-s N]
 *   down
 *   status
 *   start   the stack plus the pipeline's services, until Ctrl-C
 */
import { parseArgs } from 'node:util';
import { errorMessage } from '@loglake/core';
import { stackDown, stackStatus, stackUp, type KafkaLayout, type StackInfo } from './stack.ts';

const log = (message: string) => process.stderr.write(`[stack] ${message}\n`);

function describe(info: StackInfo): string {
  const lines = [];
  for (const [layout, brokers] of Object.entries(info.kafka)) {
    lines.push(`  kafka (${layout}):   ${brokers.join(',')}`);
  }
  if (info.s3) {
    lines.push(
      `  s3:             ${info.s3.endpoint ?? ''} bucket=${info.s3.bucket} (key loglake / loglake-secret)`,
    );
  }
  if (info.prometheusUrl) lines.push(`  prometheus:     ${info.prometheusUrl}`);
  lines.push(`  logs:           ${info.paths.logs}`);
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      three: { type: 'boolean', default: false },
      'no-prometheus': { type: 'boolean', default: false },
      'timeout-s': { type: 'string', default: '120' },
    },
  });
  const command = positionals[0] ?? 'status';
  const timeoutMs = Number(values['timeout-s']) * 1000;
  const kafka: KafkaLayout[] = values.three ? ['single', 'three'] : ['single'];
  const prometheus = values['no-prometheus'] ? 'off' : 'auto';

  switch (command) {
    case 'up': {
      const begun = Date.now();
      const info = await stackUp({ kafka, prometheus, timeoutMs, log });
      log(`ready in ${((Date.now() - begun) / 1000).toFixed(1)} s\n${describe(info)}`);
      return 0;
    }
    case 'down': {
      const stopped = await stackDown();
      log(stopped.length > 0 ? `stopped ${stopped.join(', ')}` : 'nothing was running');
      return 0;
    }
    case 'status': {
      for (const c of stackStatus())
        log(`${c.running ? 'up  ' : 'down'}  ${c.name.padEnd(11)} ${c.address}`);
      return 0;
    }
    case 'start': {
      const info = await stackUp({ kafka, prometheus, timeoutMs, log });
      log(`stack ready\n${describe(info)}`);
      log(
        'the gateway and sink are not built yet: only the stack runs. Ctrl-C stops what this command started.',
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      const stopped = await stackDown({ only: componentsOf(info.started) });
      log(`stopped ${stopped.join(', ') || 'nothing'}`);
      return 0;
    }
    default:
      log(`unknown command "${command}": use up, down, status or start`);
      return 2;
  }
}

/** Kafka node names (`kafka-1`) map to their cluster (`kafka`). */
function componentsOf(names: readonly string[]): string[] {
  return [...new Set(names.map((n) => n.replace(/-\d+$/, '')))];
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(errorMessage(error));
    process.exit(1);
  },
);
