/**
 * `pnpm lake:check`: audits the lake of one topic, checking that intents, objects and the sink's
 * committed offsets agree (docs/ARCHITECTURE.md). Prints the JSON report on stdout and a summary on
 * stderr. Exit 0: no findings; 1: findings, or the lake or Kafka could not be read; 2: bad options
 * or configuration.
 */
import { parseArgs } from 'node:util';
import { errorMessage, hasCode, LoglakeError, type Env } from '@loglake/core';
import { createKafkaAdmin, type KafkaClientConfig } from '@loglake/kafka';
import { RestCatalog, createS3FileIO, type IcebergTableConfig } from '@loglake/iceberg';
import { auditLake, auditTable, tableFindings, type AuditReport } from '@loglake/lake';
import { openStore, type S3ClientConfig } from '@loglake/object-store';
import { loadConfig } from './config.ts';

const HELP = `pnpm lake:check [options]: audit the lake that the sink writes

  --lake <url>    file:///path or s3://bucket/prefix (default: SINK_OUTPUT_URL, else file://lake)
  --topic <name>  the topic whose lake to check (default: SINK_TOPIC, else log-data)
  --group <id>    the sink's consumer group, for its committed offsets (default: SINK_GROUP_ID,
                  else loglake-sink); ranges at or beyond them are in flight, not missing
  --no-kafka      do not ask Kafka: every object an intent names must be there
  --no-rows       do not read Parquet footers (no download; row counts are not compared)
  --table-format <parquet|iceberg>
                  the sink's layout (default: SINK_TABLE_FORMAT, else parquet). iceberg: the table
                  SINK_ICEBERG_* names is checked through its current snapshot: rows and files of
                  its manifests, data files under its location that no manifest references
                  (reported as orphans, not findings), referenced files missing, the offsets the
                  table records against the group's committed offsets, and recorded losses
  --help          this text

S3 settings come from S3_*, Kafka's from KAFKA_*, as for the sink. Prints the JSON report on stdout
and a summary on stderr; exit 0 when there are no findings, 1 when there are, 2 on bad options.`;

// ---- Configuration: the command line over the sink's environment, read here once ----

interface LakeCheckConfig {
  /** Set: check this Iceberg table instead of the S3 layout. */
  readonly iceberg: IcebergTableConfig | null;
  readonly lakeUrl: string;
  readonly topic: string;
  /** Null: do not ask Kafka. */
  readonly group: string | null;
  readonly rows: boolean;
  readonly kafka: KafkaClientConfig;
  readonly s3: S3ClientConfig;
}

function loadLakeCheckConfig(argv: readonly string[], env: Env): LakeCheckConfig | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        lake: { type: 'string' },
        topic: { type: 'string' },
        group: { type: 'string' },
        'no-kafka': { type: 'boolean' },
        'no-rows': { type: 'boolean' },
        'table-format': { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new LoglakeError('LOGLAKE_CONFIG_INVALID', errorMessage(error));
  }
  if (values.help) return 'help';
  // The sink's own schema gives the defaults and validates; the options stand for its variables.
  const sink = loadConfig({
    ...env,
    SINK_OUTPUT_URL: values.lake ?? env.SINK_OUTPUT_URL,
    SINK_TOPIC: values.topic ?? env.SINK_TOPIC,
    SINK_GROUP_ID: values.group ?? env.SINK_GROUP_ID,
    SINK_TABLE_FORMAT: values['table-format'] ?? env.SINK_TABLE_FORMAT,
  });
  return {
    iceberg: sink.iceberg?.table ?? null,
    lakeUrl: sink.outputUrl,
    topic: sink.sink.topic,
    group: values['no-kafka'] ? null : sink.sink.groupId,
    rows: !values['no-rows'],
    kafka: { ...sink.kafka, clientId: 'loglake-lake-check' },
    s3: sink.s3,
  };
}

// ---- Running ----

/** The group's committed offsets on the topic; partitions where it committed nothing are left out. */
async function committedOffsets(
  config: LakeCheckConfig,
  group: string,
): Promise<Map<number, bigint>> {
  const admin = createKafkaAdmin(config.kafka);
  await admin.connect();
  try {
    const offsets = await admin.committedOffsets(group, config.topic);
    return new Map(
      offsets.filter((o) => BigInt(o.offset) >= 0n).map((o) => [o.partition, BigInt(o.offset)]),
    );
  } finally {
    await admin.disconnect();
  }
}

function summary(report: AuditReport, config: LakeCheckConfig, limit = 20): string {
  const head = `lake:check ${config.lakeUrl} topic ${config.topic}, ${config.group === null ? 'without Kafka' : `group ${config.group}`}`;
  const lines = report.partitions.map(
    (p) =>
      `  p${p.partition}: ${p.intents} intents${p.first === null || p.head === null ? '' : ` (offsets ${p.first}..${BigInt(p.head) - 1n})`}, ` +
      `committed ${p.committed ?? '-'}, ` +
      `${p.objects} objects, ${p.rows} rows, ${p.pending} in flight${p.lost_rows > 0 ? `, ${p.lost_rows} rows lost` : ''}`,
  );
  const { totals } = report;
  if (report.ok) {
    return [
      head,
      ...lines,
      `ok: no findings (${totals.objects} objects, ${totals.objects_read} footers read)`,
    ].join('\n');
  }
  const kinds = new Map<string, number>();
  for (const f of report.findings) kinds.set(f.kind, (kinds.get(f.kind) ?? 0) + 1);
  const shown = report.findings
    .slice(0, limit)
    .map(
      (f) =>
        `  ${f.kind} p${f.partition ?? '?'}${f.first === undefined ? '' : ` @${f.first}`}: ${f.detail}`,
    );
  if (report.findings.length > limit)
    shown.push(`  … ${report.findings.length - limit} more in the JSON report`);
  const counts = [...kinds].map(([k, n]) => `${k} ×${n}`).join(', ');
  return [head, ...lines, `${report.findings.length} findings: ${counts}`, ...shown].join('\n');
}

/** lake:check of an Iceberg table (SINK_TABLE_FORMAT=iceberg): through its current snapshot. */
async function checkTable(config: LakeCheckConfig, table: IcebergTableConfig): Promise<number> {
  const catalog = await RestCatalog.connect(table.catalog);
  const { metadata } = await catalog.loadTable(table.namespace, table.table);
  const location = metadata.location.replace(/\/+$/, '');
  const opened = openStore(location, config.s3);
  const io = createS3FileIO(config.s3);
  try {
    const listed: string[] = [];
    for await (const o of opened.store.list('data/'))
      if (o.key.endsWith('.parquet')) listed.push(`${location}/${o.key}`);
    const audit = await auditTable(io, metadata, config.topic, listed);
    const committed = config.group === null ? null : await committedOffsets(config, config.group);
    const findings = tableFindings(audit, committed);
    const name = `${table.namespace.join('.')}.${table.table}`;
    const report = {
      table: name,
      location,
      topic: config.topic,
      snapshot_id: audit.snapshotId,
      rows: audit.rows,
      files: audit.files,
      recorded: Object.fromEntries([...audit.recorded].map(([p, o]) => [p, o.toString()])),
      committed: committed && Object.fromEntries([...committed].map(([p, o]) => [p, o.toString()])),
      orphans: audit.orphans,
      findings,
      ok: findings.length === 0,
    };
    await print(process.stdout, `${JSON.stringify(report)}\n`);
    const lines = [...audit.recorded].map(
      ([p, o]) => `  p${p}: table records ${o}, group committed ${committed?.get(p) ?? '-'}`,
    );
    const verdict = report.ok
      ? 'ok: no findings'
      : `${findings.length} findings: ${findings.map((f) => `${f.kind} ${f.detail}`).join('; ')}`;
    await print(
      process.stderr,
      [
        `lake:check table ${name} (${location}) topic ${config.topic}, snapshot ${audit.snapshotId ?? 'none'}`,
        ...lines,
        `  ${audit.rows} rows in ${audit.files} data files; ${audit.orphans.length} data files outside the current snapshot (refused or abandoned ranges, and files compaction replaced that older snapshots still read until expiry; lake:orphans deletes only what no snapshot references)`,
        verdict,
      ].join('\n') + '\n',
    );
    return report.ok ? 0 : 1;
  } finally {
    io.close();
    opened.close();
  }
}

/** Writes all of `text` before the process may exit. */
function print(stream: NodeJS.WriteStream, text: string): Promise<void> {
  return new Promise((resolve) => stream.write(text, () => resolve()));
}

async function main(argv: readonly string[], env: Env): Promise<number> {
  let config;
  try {
    config = loadLakeCheckConfig(argv, env);
  } catch (error) {
    if (!hasCode(error, 'LOGLAKE_CONFIG_INVALID')) throw error;
    await print(process.stderr, `lake:check: ${error.message}\n\n${HELP}\n`);
    return 2;
  }
  if (config === 'help') {
    await print(process.stdout, `${HELP}\n`);
    return 0;
  }
  if (config.iceberg) return checkTable(config, config.iceberg);
  const opened = openStore(config.lakeUrl, config.s3);
  try {
    const committed = config.group === null ? null : await committedOffsets(config, config.group);
    if (committed?.size === 0) {
      await print(
        process.stderr,
        `lake:check: group ${config.group} has committed nothing on ${config.topic}: every range counts as in flight\n`,
      );
    }
    const report = await auditLake(opened.store, {
      topic: config.topic,
      committed,
      rows: config.rows,
    });
    await print(process.stdout, `${JSON.stringify(report)}\n`);
    await print(process.stderr, `${summary(report, config)}\n`);
    return report.ok ? 0 : 1;
  } finally {
    opened.close();
  }
}

main(process.argv.slice(2), process.env).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`lake:check failed: ${errorMessage(error)}\n`);
    process.exit(1);
  },
);
