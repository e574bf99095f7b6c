/**
 * `pnpm verify --run <id> [--expected N] [--lake URL] [--topic log-data]`: reads the lake with DuckDB
 * and reports, for one generator run, expected / found / missing / duplicated and the delay from
 * receipt to a visible object. Exit 1 on any loss or duplicate, 2 on bad options.
 */
import { parseArgs } from 'node:util';
import { errorMessage } from '@loglake/core';
import { verifyRun } from '@loglake/lake';
import { openStore, parseS3Env } from '@loglake/object-store';

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      options: {
        run: { type: 'string' },
        expected: { type: 'string' },
        lake: { type: 'string', default: 'file://lake' },
        topic: { type: 'string', default: 'log-data' },
      },
    }));
  } catch (error) {
    process.stderr.write(`verify: ${errorMessage(error)}\n`);
    return 2;
  }
  if (!values.run) {
    process.stderr.write('verify: --run <id> is required (the run_id of the generator summary)\n');
    return 2;
  }
  const expected = values.expected === undefined ? null : Number(values.expected);
  if (expected !== null && (!Number.isInteger(expected) || expected < 0)) {
    process.stderr.write('verify: --expected must be a whole number\n');
    return 2;
  }
  const opened = openStore(values.lake ?? 'file://lake', parseS3Env(process.env));
  try {
    const report = await verifyRun(opened.store, values.topic ?? 'log-data', values.run, expected);
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return report.missing === 0 && report.duplicated === 0 && report.found > 0 ? 0 : 1;
  } finally {
    opened.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`verify failed: ${errorMessage(error)}\n`);
    process.exit(1);
  },
);
