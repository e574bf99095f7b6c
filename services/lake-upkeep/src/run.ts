import { hasCode, errorMessage, type Env } from '@loglake/core';
import {
  RestCatalog,
  createS3UpkeepIO,
  type AppendTarget,
  type UpkeepFileIO,
} from '@loglake/iceberg';
import type { TableAccess } from './config.ts';

export type UpkeepTarget = AppendTarget & { readonly io: UpkeepFileIO };

/** Writes all of `text` before the process may exit. */
function print(stream: NodeJS.WriteStream, text: string): Promise<void> {
  return new Promise((resolve) => stream.write(text, () => resolve()));
}

const json = (value: unknown) =>
  JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);

/**
 * One upkeep command: parse options and environment (exit 2 on a problem, with the help text),
 * connect to the catalog and S3, run, print the JSON report on stdout and a summary on stderr.
 * Exit 0 on success, 1 on a failure.
 */
export async function runCommand<C extends TableAccess, R>(spec: {
  readonly name: string;
  readonly help: string;
  readonly load: (argv: readonly string[], env: Env) => C | 'help';
  readonly run: (target: UpkeepTarget, config: C) => Promise<R>;
  readonly summary: (report: R, config: C) => string;
  readonly argv: readonly string[];
  readonly env: Env;
}): Promise<number> {
  let config: C | 'help';
  try {
    config = spec.load(spec.argv, spec.env);
  } catch (error) {
    if (!hasCode(error, 'LOGLAKE_CONFIG_INVALID')) throw error;
    await print(process.stderr, `${spec.name}: ${error.message}\n\n${spec.help}\n`);
    return 2;
  }
  if (config === 'help') {
    await print(process.stdout, `${spec.help}\n`);
    return 0;
  }
  const io = createS3UpkeepIO(config.s3);
  try {
    const catalog = await RestCatalog.connect(config.iceberg.catalog);
    const target = {
      catalog,
      io,
      namespace: config.iceberg.namespace,
      table: config.iceberg.table,
    };
    const report = await spec.run(target, config);
    await print(process.stdout, `${json(report)}\n`);
    await print(process.stderr, `${spec.summary(report, config)}\n`);
    return 0;
  } catch (error) {
    await print(process.stderr, `${spec.name}: failed: ${errorMessage(error)}\n`);
    return 1;
  } finally {
    io.close();
  }
}

const TABLE_ENV = `The table: SINK_ICEBERG_CATALOG_URL, SINK_ICEBERG_NAMESPACE (default loglake),
SINK_ICEBERG_TABLE (default events) and the other SINK_ICEBERG_* variables of the sink; S3 from S3_*.
Prints the JSON report on stdout and a summary on stderr; exit 0 on success, 1 on a failure,
2 on bad options.`;

export const helpText = (usage: string) => `${usage}\n\n${TABLE_ENV}`;
