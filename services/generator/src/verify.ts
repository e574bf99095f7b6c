/**
 * `pnpm generate … | pnpm verify`: is every event the gateway accepted in the lake, exactly once?
 * Takes the run from the generator's JSON summary (stdin, --summary FILE, or --run), waits until
 * the sink's consumer group has committed what the topic held, reads the hour folders the run's
 * events can be in with DuckDB, and audits the lake. JSON report on stdout, progress and a summary
 * on stderr. Exit 0: complete and once, no findings; 1: otherwise; 2: bad options.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { errorMessage, hasCode, LoglakeError, type Env } from '@loglake/core';
import { createKafkaAdmin, parseKafkaEnv, type KafkaClientConfig } from '@loglake/kafka';
import {
  auditLake,
  auditTable,
  hourIso,
  liveDataFiles,
  parseRunSummary,
  tableFindings,
  withTableCopies,
  runFolders,
  runHours,
  verifyReport,
  verifyRun,
  waitForCommits,
  withLocalCopies,
  type AuditFinding,
  type AuditReport,
  type CommitWait,
  type RunReport,
  type RunRef,
  type VerifyScope,
} from '@loglake/lake';
import {
  RestCatalog,
  createS3FileIO,
  parseIcebergEnv,
  type IcebergTableConfig,
} from '@loglake/iceberg';
import { openStore, parseS3Env, type S3ClientConfig } from '@loglake/object-store';
import { EVENT_TIME_WINDOW } from '@loglake/traffic';

const HELP = `pnpm generate [options] | pnpm verify [options]
pnpm verify --summary <file> | --run <id> [options]: check one generator run in the lake

  --summary <file>  the generator's output (its last JSON line); without it and without --run,
                    read from stdin
  --run <id>        the run_id to look for, instead of a summary
  --expected <n>    events to find (default: the summary's accepted count; with --run: the
                    largest seq found)
  --lake <url>      file:///path or s3://bucket/prefix (default file://lake)
  --topic <name>    (default log-data)
  --group <id>      the sink's consumer group (default loglake-sink)
  --wait <seconds>  wait at most this long for the group to commit everything the topic held once
                    the run was over (when the summary arrived; with --run, at start); default
                    120, 0: do not wait
  --no-kafka        do not ask Kafka: no wait, and the audit wants every object an intent names
  --no-rows         the audit does not compare Parquet row counts with the intents
  --table-format <parquet|iceberg>
                    the sink's layout (default: SINK_TABLE_FORMAT, else parquet). iceberg: the run
                    is counted through the current snapshot of the table SINK_ICEBERG_* names (its
                    manifests' data files, nothing else), and the table is audited as lake:check
                    does (--lake is not used)
  --help            this text

S3 settings come from S3_*, Kafka's from KAFKA_*. Without start and end times in the summary, the
whole topic is read. Exit 0 when the run is complete, once, and the audit has no findings; 1 when
not; 2 on bad options.`;

// ---- Configuration: the command line and the environment, read here once ----

type RunSource =
  | { readonly kind: 'run'; readonly runId: string }
  | { readonly kind: 'summary'; readonly file: string | null };

interface VerifyConfig {
  readonly source: RunSource;
  /** Set: the run is in this Iceberg table, not under --lake. */
  readonly iceberg: IcebergTableConfig | null;
  readonly expected: number | null;
  readonly lakeUrl: string;
  readonly topic: string;
  /** Null: do not ask Kafka. */
  readonly group: string | null;
  readonly waitMs: number;
  readonly rows: boolean;
  readonly kafka: KafkaClientConfig;
  readonly s3: S3ClientConfig;
}

const usage = (message: string) => new LoglakeError('LOGLAKE_CONFIG_INVALID', message);

/** The command line's options, with their defaults; unknown options are a usage error. */
function parseVerifyArgs(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      strict: true,
      options: {
        summary: { type: 'string' },
        run: { type: 'string' },
        expected: { type: 'string' },
        lake: { type: 'string', default: 'file://lake' },
        topic: { type: 'string', default: 'log-data' },
        group: { type: 'string', default: 'loglake-sink' },
        wait: { type: 'string', default: '120' },
        'no-kafka': { type: 'boolean' },
        'no-rows': { type: 'boolean' },
        'table-format': { type: 'string' },
        help: { type: 'boolean' },
      },
    }).values;
  } catch (error) {
    throw usage(errorMessage(error));
  }
}

function loadVerifyConfig(
  argv: readonly string[],
  env: Env,
  stdinIsTTY: boolean,
): VerifyConfig | 'help' {
  const values = parseVerifyArgs(argv);
  if (values.help) return 'help';
  if (values.run !== undefined && values.summary !== undefined)
    throw usage('give --run or --summary, not both');
  if (values.run === undefined && values.summary === undefined && stdinIsTTY) {
    throw usage(
      'which run? pipe `pnpm generate` into verify, or give --summary <file> or --run <id>',
    );
  }
  const expected = values.expected === undefined ? null : Number(values.expected);
  if (expected !== null && (!Number.isSafeInteger(expected) || expected < 0))
    throw usage('--expected must be a whole number');
  const waitS = Number(values.wait);
  if (!Number.isFinite(waitS) || waitS < 0)
    throw usage('--wait must be a number of seconds, 0 or more');
  const format = values['table-format'] ?? env.SINK_TABLE_FORMAT ?? 'parquet';
  if (format !== 'parquet' && format !== 'iceberg')
    throw usage('--table-format must be parquet or iceberg');
  if (!/^(s3:\/\/[^/]+|file:\/\/.)/.test(values.lake))
    throw usage('--lake must be s3://bucket/prefix or file://path');
  return {
    source:
      values.run !== undefined
        ? { kind: 'run', runId: values.run }
        : { kind: 'summary', file: values.summary ?? null },
    iceberg: format === 'iceberg' ? parseIcebergEnv(env, 'SINK_') : null,
    expected,
    lakeUrl: values.lake,
    topic: values.topic,
    group: values['no-kafka'] ? null : values.group,
    waitMs: Math.round(waitS * 1000),
    rows: !values['no-rows'],
    kafka: parseKafkaEnv(env, { clientId: 'loglake-verify' }),
    s3: parseS3Env(env),
  };
}

// ---- Running ----

async function readSummary(file: string | null): Promise<RunRef> {
  let text: string;
  if (file === null) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    text = Buffer.concat(chunks).toString('utf8');
  } else {
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw usage(`cannot read --summary ${file}: ${errorMessage(error)}`);
    }
  }
  return parseRunSummary(text);
}

/** Waits for the sink's group, with progress on stderr (a line every 5 s when stderr is not a terminal). */
async function waitForSink(config: VerifyConfig, group: string): Promise<CommitWait> {
  const admin = createKafkaAdmin(config.kafka);
  await admin.connect();
  const tty = process.stderr.isTTY;
  let lastLine = -Infinity;
  let warned = false;
  try {
    const wait = await waitForCommits(admin, {
      topic: config.topic,
      group,
      timeoutMs: config.waitMs,
      onProgress: (behind, ms, committed) => {
        if (committed.size === 0 && !warned) {
          warned = true;
          process.stderr.write(
            `verify: group ${group} has committed nothing on ${config.topic} yet (is --group right?)\n`,
          );
        }
        const text = `verify: waiting for group ${group} to commit ${config.topic}: ${behind} records to go (${Math.round(ms / 1000)} s of ${config.waitMs / 1000} s)`;
        if (tty) process.stderr.write(`\r\x1b[2K${text}`);
        else if (ms - lastLine >= 5000) {
          lastLine = ms;
          process.stderr.write(`${text}\n`);
        }
      },
    });
    if (tty) process.stderr.write('\r\x1b[2K');
    const outcome = wait.caught_up
      ? `group ${group} has committed everything (${wait.waited_s} s)`
      : `group ${group} is still ${wait.behind} records behind after ${wait.waited_s} s; reading the lake anyway`;
    process.stderr.write(`verify: ${outcome}\n`);
    return wait;
  } finally {
    await admin.disconnect();
  }
}

/** Writes all of `text` before the process may exit. */
function print(stream: NodeJS.WriteStream, text: string): Promise<void> {
  return new Promise((resolve) => stream.write(text, () => resolve()));
}

/** The run to look for: its id, how many events, and its summary when there is one. */
async function resolveRun(
  config: VerifyConfig,
): Promise<{ runId: string; expected: number | null; ref: RunRef | null }> {
  if (config.source.kind === 'run')
    return { runId: config.source.runId, expected: config.expected, ref: null };
  const ref = await readSummary(config.source.file);
  return { runId: ref.run_id, expected: config.expected ?? ref.expected, ref };
}

/**
 * Reads the run's events and audits the lake from one download of the objects under `folders` (null:
 * the whole topic): the audit reads their footers from the same copies.
 */
async function checkLake(
  config: VerifyConfig,
  target: { runId: string; expected: number | null },
  folders: readonly string[] | null,
  wait: CommitWait | null,
): Promise<{ run: RunReport; audit: AuditReport }> {
  const opened = openStore(config.lakeUrl, config.s3);
  try {
    return await withLocalCopies(opened.store, folders ?? [`${config.topic}/`], async (copies) => ({
      run: await verifyRun(copies, target.runId, target.expected),
      audit: await auditLake(opened.store, {
        topic: config.topic,
        committed: wait?.committed ?? null,
        rows: config.rows,
        ...(folders ? { rowsUnder: folders } : {}),
        localCopies: copies.files,
      }),
    }));
  } finally {
    opened.close();
  }
}

/**
 * The run through an Iceberg table: the data files of its current snapshot (what any reader sees),
 * and the table's audit (referenced files present, offsets against the group's, losses).
 */
async function checkTable(
  config: VerifyConfig,
  table: IcebergTableConfig,
  target: { runId: string; expected: number | null },
  hours: { from: number; to: number } | null,
  wait: CommitWait | null,
): Promise<{
  run: RunReport;
  audit: { ok: boolean; findings: AuditFinding[] };
  files: { read: number; live: number };
}> {
  const catalog = await RestCatalog.connect(table.catalog);
  const { metadata } = await catalog.loadTable(table.namespace, table.table);
  const location = metadata.location.replace(/\/+$/, '');
  const io = createS3FileIO(config.s3);
  const opened = openStore(location, config.s3);
  try {
    const listed: string[] = [];
    for await (const o of opened.store.list('data/'))
      if (o.key.endsWith('.parquet')) listed.push(`${location}/${o.key}`);
    const live = await liveDataFiles(io, metadata);
    // Partition pruning as a reader's would: only the hours the run's event times can fall in.
    const files = hours
      ? live.filter((f) => f.tsHour === null || (f.tsHour >= hours.from && f.tsHour <= hours.to))
      : live;
    const run = await withTableCopies(io, files, (copies) =>
      verifyRun(copies, target.runId, target.expected),
    );
    const findings = tableFindings(
      await auditTable(io, metadata, config.topic, listed),
      wait?.committed ?? null,
    );
    return {
      run,
      audit: { ok: findings.length === 0, findings },
      files: { read: files.length, live: live.length },
    };
  } finally {
    opened.close();
    io.close();
  }
}

async function main(argv: readonly string[], env: Env): Promise<number> {
  let config;
  let target;
  try {
    config = loadVerifyConfig(argv, env, process.stdin.isTTY === true);
    if (config !== 'help') target = await resolveRun(config);
  } catch (error) {
    if (!hasCode(error, 'LOGLAKE_CONFIG_INVALID')) throw error;
    await print(process.stderr, `verify: ${error.message}\n\n${HELP}\n`);
    return 2;
  }
  if (config === 'help' || !target) {
    await print(process.stdout, `${HELP}\n`);
    return 0;
  }
  // Only after the summary arrived (the run is over) are the topic's end offsets the ones to wait for.
  const wait = config.group === null ? null : await waitForSink(config, config.group);
  let where: string;
  let scope: VerifyScope;
  let checked;
  if (config.iceberg) {
    const hours = target.ref && runHours(target.ref, EVENT_TIME_WINDOW);
    const table = await checkTable(config, config.iceberg, target, hours, wait);
    const name = `${config.iceberg.namespace.join('.')}.${config.iceberg.table}`;
    checked = table;
    scope = {
      table: {
        name,
        files_read: table.files.read,
        files_live: table.files.live,
        hours: hours && { from: hourIso(hours.from), to: hourIso(hours.to) },
      },
    };
    where =
      `the current snapshot of ${name} ` +
      `(${table.files.read} of its ${table.files.live} data files: ` +
      `${hours ? `${hours.to - hours.from + 1} hours` : 'every hour'})`;
  } else {
    const folders = target.ref && runFolders(config.topic, target.ref, EVENT_TIME_WINDOW);
    checked = await checkLake(config, target, folders, wait);
    scope = { folders };
    where = folders ? `${folders.length} hour folders` : 'the whole topic';
  }
  const { run, audit } = checked;
  const { report, ok } = verifyReport(run, scope, wait, audit);
  const lake = audit.ok
    ? 'no findings'
    : `${audit.findings.length} findings (run pnpm lake:check for details)`;
  await print(
    process.stderr,
    `verify: run ${target.runId}: expected ${report.expected}, found ${report.found}, missing ${report.missing}, ` +
      `duplicated ${report.duplicated} in ${report.files_read} objects of ${where}; lake audit: ${lake}\n`,
  );
  // The report last: where stdout and stderr are read together, its line is the last one.
  await print(process.stdout, `${JSON.stringify(report)}\n`);
  return ok ? 0 : 1;
}

main(process.argv.slice(2), process.env).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`verify failed: ${errorMessage(error)}\n`);
    process.exit(1);
  },
);
