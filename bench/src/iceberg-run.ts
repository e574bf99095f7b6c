/**
 * `pnpm bench:iceberg [--rate 10000] [--duration 10m] [--out FILE]`: the whole pipeline into an
 * Iceberg table on the local stack (Kafka, versitygw, the REST catalog), at the user's rate and the
 * sink's production defaults (60 s flush age, a table commit every 10 s). Then `pnpm lake:compact`
 * on the table. Reports what issue 13 asks of a run: data files per hour and their median size
 * before and after compaction, commits per minute, commit latency p50/p99, and the delay from a
 * request's arrival (`received_at`) to the commit that made its rows visible. One JSON object on
 * stdout; progress on stderr.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeFile } from 'node:fs/promises';
import {
  RestCatalog,
  compactTable,
  createS3FileIO,
  currentDataFiles,
  FIELD_IDS,
  type TableMetadata,
} from '@loglake/iceberg';
import { stackUp } from '@loglake/stack';
import { createContext, withTopic } from './context.ts';
import { runLoad } from './generator.ts';
import { groupLag } from './lag.ts';
import { round } from './proc-stats.ts';
import { GATEWAY_PORT, startGateway, startSink } from './services.ts';
import { loadSettings } from './settings.ts';

const RECEIVED_AT_ID = FIELD_IDS.received_at as number;

interface FileStat {
  readonly path: string;
  readonly hour: number;
  readonly records: number;
  readonly bytes: number;
  /** When the commit that added it landed, epoch ms. */
  readonly visibleAt: number;
  /** Oldest and newest `received_at` of its rows, epoch ms (from the manifest's bounds). */
  readonly receivedMin: number;
  readonly receivedMax: number;
}

function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  if (!m) throw new Error(`--duration: "${text}" is not a duration like 600s or 10m`);
  const unit = { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * unit;
}

function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? null;
}

/** An Iceberg timestamptz bound (8 bytes, little-endian microseconds) in epoch ms. */
function boundMs(bounds: unknown, id: number): number {
  const entry = (bounds as { key: number; value: Buffer }[] | null)?.find((b) => b.key === id);
  if (!entry) return Number.NaN;
  return Number(entry.value.readBigInt64LE(0) / 1000n);
}

/** The data files of the table's current snapshot, with sizes, hours and `received_at` bounds. */
async function tableFiles(
  io: ReturnType<typeof createS3FileIO>,
  metadata: TableMetadata,
): Promise<FileStat[]> {
  const committedAt = new Map(
    (metadata.snapshots ?? []).map((s) => [s['snapshot-id'], s['timestamp-ms']]),
  );
  return (await currentDataFiles(io, metadata)).map(({ entry }) => ({
    path: entry.filePath,
    hour: entry.tsHour ?? Number.NaN,
    records: Number(entry.recordCount),
    bytes: Number(entry.fileSizeInBytes),
    visibleAt: Number(committedAt.get(entry.snapshotId) ?? Number.NaN),
    receivedMin: boundMs(entry.dataFile.lower_bounds, RECEIVED_AT_ID),
    receivedMax: boundMs(entry.dataFile.upper_bounds, RECEIVED_AT_ID),
  }));
}

function describeFiles(files: readonly FileStat[]) {
  const hours = new Map<number, FileStat[]>();
  for (const f of files) hours.set(f.hour, [...(hours.get(f.hour) ?? []), f]);
  return {
    files: files.length,
    rows: files.reduce((n, f) => n + f.records, 0),
    bytes: files.reduce((n, f) => n + f.bytes, 0),
    median_file_bytes: quantile(
      files.map((f) => f.bytes),
      0.5,
    ),
    hours: [...hours]
      .sort(([a], [b]) => a - b)
      .map(([hour, fs]) => ({
        hour: new Date(hour * 3600_000).toISOString().slice(0, 13),
        files: fs.length,
        rows: fs.reduce((n, f) => n + f.records, 0),
        median_file_bytes: quantile(
          fs.map((f) => f.bytes),
          0.5,
        ),
      })),
  };
}

/** Row-weighted quantiles of per-file delays (each file's rows all get that file's value). */
function weighted(files: readonly FileStat[], delay: (f: FileStat) => number, q: number): number {
  const pairs = files.map((f) => [delay(f), f.records] as const).sort((a, b) => a[0] - b[0]);
  const total = pairs.reduce((n, [, w]) => n + w, 0);
  let seen = 0;
  for (const [d, w] of pairs) {
    seen += w;
    if (seen >= q * total) return d;
  }
  return pairs.at(-1)?.[0] ?? Number.NaN;
}

/** The sink's `sink_table_commit` log lines: one per commit round that landed. */
function commitsFromLog(logFile: string): { at: number; ms: number; files: number }[] {
  const out: { at: number; ms: number; files: number }[] = [];
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.includes('"sink_table_commit"')) continue;
    const r = JSON.parse(line) as {
      time: string | number;
      ms: number;
      files: number;
      snapshot_id: unknown;
    };
    const at = typeof r.time === 'number' ? r.time : Date.parse(r.time);
    if (r.snapshot_id !== null) out.push({ at, ms: r.ms, files: r.files });
  }
  return out;
}

async function main() {
  const { values } = parseArgs({
    options: {
      rate: { type: 'string', default: '10000' },
      duration: { type: 'string', default: '10m' },
      out: { type: 'string' },
    },
  });
  const rate = Number(values.rate);
  const seconds = parseDuration(values.duration);
  if (!(rate > 0)) throw new Error('--rate must be a positive number');
  const info = await stackUp({ kafka: ['single'], s3: true, prometheus: 'off', iceberg: true });
  if (!info.iceberg || !info.s3) throw new Error('the stack gave no Iceberg catalog or no S3');
  const catalogUrl = info.iceberg.url;
  const ctx = await createContext(info, loadSettings(process.env));
  const s3 = info.s3;
  const namespace = 'bench';
  const table = `events_${ctx.runTag.replace(/\W/g, '_')}`;
  const location = `s3://${s3.bucket}/${ctx.runTag}/iceberg`;
  const tableEnv = {
    SINK_TABLE_FORMAT: 'iceberg',
    SINK_ICEBERG_CATALOG_URL: catalogUrl,
    SINK_ICEBERG_NAMESPACE: namespace,
    SINK_ICEBERG_TABLE: table,
    SINK_ICEBERG_LOCATION: location,
    S3_ENDPOINT: s3.endpoint ?? '',
    S3_REGION: s3.region ?? 'us-east-1',
    S3_FORCE_PATH_STYLE: 'true',
    S3_ACCESS_KEY_ID: s3.credentials?.accessKeyId ?? '',
    S3_SECRET_ACCESS_KEY: s3.credentials?.secretAccessKey ?? '',
  };
  try {
    const result = await withTopic(ctx, 'iceberg', async (topic) => {
      const groupId = `${topic}-sink`;
      const sinkLog = join(ctx.logsDir, 'iceberg-sink.log');
      const gateway = await startGateway({
        root: ctx.root,
        brokers: ctx.kafka.brokers,
        topic,
        logFile: join(ctx.logsDir, 'iceberg-gateway.log'),
      });
      const sink = await startSink({
        root: ctx.root,
        brokers: ctx.kafka.brokers,
        topic,
        groupId,
        target: { s3, outputUrl: `s3://${s3.bucket}/${ctx.runTag}/iceberg-dlq-only` },
        logFile: sinkLog,
        env: { ...tableEnv, LOG_LEVEL: 'info' },
      });
      try {
        ctx.log(`iceberg: ${rate}/s for ${seconds} s into ${namespace}.${table}`);
        const load = await runLoad({
          root: ctx.root,
          target: `http://127.0.0.1:${GATEWAY_PORT}/events`,
          rate,
          seconds,
          batch: ctx.settings.batch,
          concurrency: ctx.settings.concurrency,
        });
        const sent = performance.now();
        ctx.log(`iceberg: load done (${load.summary.accepted} accepted); waiting for lag 0`);
        for (;;) {
          if ((await groupLag(ctx.admin, topic, groupId)) === 0) break;
          if (performance.now() - sent > 300_000)
            throw new Error('the sink did not catch up in 5 min');
          await new Promise((r) => setTimeout(r, 1000));
        }
        const drainS = round((performance.now() - sent) / 1000, 1);
        return { load: load.summary, drainS, sinkLog };
      } finally {
        await sink.stop();
        await gateway.stop();
      }
    });
    const catalog = await RestCatalog.connect({
      url: catalogUrl,
      auth: { type: 'none' },
      requestTimeoutMs: 30_000,
    });
    const io = createS3FileIO({
      endpoint: s3.endpoint,
      region: s3.region ?? 'us-east-1',
      forcePathStyle: true,
      ...(s3.credentials ? { credentials: s3.credentials } : {}),
    });
    const read = async () => tableFiles(io, (await catalog.loadTable([namespace], table)).metadata);
    const before = await read();
    const commits = commitsFromLog(result.sinkLog);
    const spanMin = commits.length > 1 ? (commits.at(-1)!.at - commits[0]!.at) / 60_000 : 0;
    // The load has ended, so every hour of the run is treated as closed (lake:compact's --grace
    // would otherwise leave the current hour alone); the defaults otherwise (128 MiB files).
    ctx.log('iceberg: compacting');
    const workDir = mkdtempSync(join(tmpdir(), 'bench-compact-'));
    const compacted = await compactTable(
      { catalog, io, namespace: [namespace], table },
      { workDir, graceMs: 0, now: () => Date.now() + 3_600_000 },
    ).finally(() => rmSync(workDir, { recursive: true, force: true }));
    const after = await read();
    const report = {
      bench: 'iceberg',
      date: new Date().toISOString(),
      rate,
      duration_s: seconds,
      table: `${namespace}.${table}`,
      settings: { flush_max_age_ms: 60_000, commit_interval_ms: 10_000 },
      accepted: result.load.accepted,
      achieved_rate: result.load.achieved_rate,
      drain_after_load_s: result.drainS,
      commits: {
        count: commits.length,
        per_minute: spanMin > 0 ? round((commits.length - 1) / spanMin, 2) : null,
        latency_ms: {
          p50: quantile(
            commits.map((c) => c.ms),
            0.5,
          ),
          p99: quantile(
            commits.map((c) => c.ms),
            0.99,
          ),
          max: quantile(
            commits.map((c) => c.ms),
            1,
          ),
        },
        files_per_commit: quantile(
          commits.map((c) => c.files),
          0.5,
        ),
      },
      // From a row's arrival at the gateway to the commit that made it visible, row-weighted over
      // files: "newest" gives each file's rows the delay of its newest row (a lower bound), "oldest"
      // that of its oldest row (an upper bound).
      post_to_queryable_s: {
        p50_newest: round(weighted(before, (f) => f.visibleAt - f.receivedMax, 0.5) / 1000, 1),
        p50_oldest: round(weighted(before, (f) => f.visibleAt - f.receivedMin, 0.5) / 1000, 1),
        p99_oldest: round(weighted(before, (f) => f.visibleAt - f.receivedMin, 0.99) / 1000, 1),
      },
      before_compaction: describeFiles(before),
      compaction: {
        seconds: round(compacted.durationMs / 1000, 1),
        files_removed: compacted.filesRemoved,
        files_added: compacted.filesAdded,
        rows_rewritten: Number(compacted.rowsRewritten),
        groups_committed: compacted.committedGroups,
      },
      after_compaction: describeFiles(after),
    };
    const text = JSON.stringify(report, null, 2);
    console.log(text);
    if (values.out) await writeFile(values.out, `${text}\n`);
    if (report.before_compaction.rows !== report.accepted)
      throw new Error(
        `the table holds ${report.before_compaction.rows} rows, ${report.accepted} were accepted`,
      );
    if (report.after_compaction.rows !== report.before_compaction.rows)
      throw new Error('compaction changed the row count');
  } finally {
    await ctx.admin.disconnect();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
