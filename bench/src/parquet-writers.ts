/**
 * `pnpm bench:parquet`: Parquet writers compared on the same synthetic events (1,000,000 by default,
 * BENCH_ROWS to change), one child process per writer: rows/s, peak RSS, file size, and whether
 * DuckDB reads every value back (timestamps, nulls, int64, doubles, Unicode). Prints JSON.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const WRITERS = [
  'parquetjs-lite:snappy',
  'hyparquet-writer:snappy',
  'duckdb-read_json:zstd',
  'duckdb-read_json:snappy',
] as const;
type WriterName = (typeof WRITERS)[number];

interface Ev {
  event_id: string;
  event_type: string;
  ts: number;
  received_at: number;
  source: string;
  campaign_id: number;
  job_id: number;
  bid: number;
  custom_track: string;
  user_id: string;
  url: string;
  message: string | null;
  extra: Record<string, unknown> | null;
}

function makeEvent(i: number): Ev {
  const base = 1_795_000_000_000;
  return {
    event_id: `0195${i.toString(16).padStart(12, '0')}-7abc-8def-${((i * 2654435761) % 2 ** 32).toString(16).padStart(8, '0')}`,
    event_type: ['click', 'page_view', 'conversion', 'log'][i % 4] ?? 'x',
    ts: base + i * 3,
    received_at: base + i * 3 + 120,
    source: ['web', 'ios', 'android'][i % 3] ?? 'x',
    campaign_id: (i * 7919) % 50,
    job_id: 9_007_199_254_000 + i,
    bid: ((i * 37) % 1000) / 7,
    custom_track: ['click', 'unqualified', 'qualified', 'conversion'][i % 4] ?? 'x',
    user_id: `user-${(i * 31) % 20000}`,
    url: `https://jobs.example.com/listing/${i % 5000}?utm_source=campaign-${i % 50}&ref=feed`,
    message: i % 5 === 0 ? null : `Viewed job ${i % 5000} — naïve café 🚀 ${'𝒳'.repeat(i % 3)}`,
    extra: i % 10 === 0 ? { experiment: `exp-${i % 7}`, flags: [i % 2 === 0, true] } : null,
  };
}

const COLUMNS = [
  'event_id',
  'event_type',
  'ts',
  'received_at',
  'source',
  'campaign_id',
  'job_id',
  'bid',
  'custom_track',
  'user_id',
  'url',
  'message',
  'extra',
] as const;

async function writeWith(name: WriterName, ndjson: string, out: string): Promise<void> {
  const [writer, codec] = name.split(':') as [string, string];
  if (writer.startsWith('duckdb')) {
    const db = await DuckDBInstance.create(':memory:', { threads: '1' });
    const c = await db.connect();
    await c.run(
      `COPY (SELECT event_id, event_type, make_timestamptz(ts * 1000) AS ts, make_timestamptz(received_at * 1000) AS received_at,
         source, campaign_id, job_id, bid, custom_track, user_id, url, message, extra
       FROM read_json('${ndjson}', format='newline_delimited', columns={event_id:'VARCHAR', event_type:'VARCHAR', ts:'BIGINT',
         received_at:'BIGINT', source:'VARCHAR', campaign_id:'BIGINT', job_id:'BIGINT', bid:'DOUBLE', custom_track:'VARCHAR',
         user_id:'VARCHAR', url:'VARCHAR', message:'VARCHAR', extra:'JSON'}))
       TO '${out}' (FORMAT parquet, COMPRESSION ${codec})`,
    );
    c.closeSync();
    db.closeSync();
    return;
  }
  const events = readFileSync(ndjson, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Ev);
  const started = performance.now();
  if (writer === 'parquetjs-lite') {
    const parquet = (await import('parquetjs-lite')).default as unknown as {
      ParquetSchema: new (s: object) => object;
      ParquetWriter: {
        openFile(
          schema: object,
          path: string,
          opts: object,
        ): Promise<{ appendRow(r: object): Promise<void>; close(): Promise<void> }>;
      };
    };
    const opt = { compression: 'SNAPPY' };
    const schema = new parquet.ParquetSchema({
      event_id: { type: 'UTF8', ...opt },
      event_type: { type: 'UTF8', ...opt },
      ts: { type: 'TIMESTAMP_MILLIS', ...opt },
      received_at: { type: 'TIMESTAMP_MILLIS', ...opt },
      source: { type: 'UTF8', ...opt },
      campaign_id: { type: 'INT64', ...opt },
      job_id: { type: 'INT64', ...opt },
      bid: { type: 'DOUBLE', ...opt },
      custom_track: { type: 'UTF8', ...opt },
      user_id: { type: 'UTF8', ...opt },
      url: { type: 'UTF8', ...opt },
      message: { type: 'UTF8', optional: true, ...opt },
      extra: { type: 'JSON', optional: true, ...opt },
    });
    const w = await parquet.ParquetWriter.openFile(schema, out, {});
    for (const e of events) {
      await w.appendRow({
        ...e,
        ts: new Date(e.ts),
        received_at: new Date(e.received_at),
        message: e.message ?? undefined,
        extra: e.extra ?? undefined,
      });
    }
    await w.close();
  } else {
    const { parquetWriteFile } = await import('hyparquet-writer');
    const col = <K extends keyof Ev>(k: K) => events.map((e) => e[k]);
    parquetWriteFile({
      filename: out,
      codec: 'SNAPPY',
      columnData: [
        { name: 'event_id', data: col('event_id'), type: 'STRING' },
        { name: 'event_type', data: col('event_type'), type: 'STRING' },
        { name: 'ts', data: events.map((e) => new Date(e.ts)), type: 'TIMESTAMP' },
        {
          name: 'received_at',
          data: events.map((e) => new Date(e.received_at)),
          type: 'TIMESTAMP',
        },
        { name: 'source', data: col('source'), type: 'STRING' },
        { name: 'campaign_id', data: events.map((e) => BigInt(e.campaign_id)), type: 'INT64' },
        { name: 'job_id', data: events.map((e) => BigInt(e.job_id)), type: 'INT64' },
        { name: 'bid', data: col('bid'), type: 'DOUBLE' },
        { name: 'custom_track', data: col('custom_track'), type: 'STRING' },
        { name: 'user_id', data: col('user_id'), type: 'STRING' },
        { name: 'url', data: col('url'), type: 'STRING' },
        { name: 'message', data: col('message'), type: 'STRING' },
        { name: 'extra', data: col('extra'), type: 'JSON' },
      ],
    } as never);
  }
  process.stderr.write(
    `encode-only ${Math.round(ROWS / ((performance.now() - started) / 1000))}\n`,
  );
}

/** Reads the file back with DuckDB and compares every 997th row, field by field, plus aggregates. */
async function verify(path: string): Promise<{ ok: boolean; problems: string[] }> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const problems: string[] = [];
  const rows = (
    await c.runAndReadAll(
      `SELECT event_id, event_type, epoch_ms(ts) ts, epoch_ms(received_at) received_at, source, campaign_id::BIGINT campaign_id,
            job_id::BIGINT job_id, bid, custom_track, user_id, url, message, extra::VARCHAR extra
     FROM read_parquet('${path}') WHERE hash(event_id) % 997 = 0 OR event_id = '${makeEvent(0).event_id}'`,
    )
  ).getRowObjectsJson();
  const byId = new Map(
    Array.from({ length: ROWS }, (_, i) => makeEvent(i)).map((e) => [e.event_id, e]),
  );
  for (const r of rows) {
    const e = byId.get(String(r.event_id));
    if (!e) {
      problems.push(`unknown id ${String(r.event_id)}`);
      continue;
    }
    const got: Record<string, unknown> = {
      ...r,
      ts: Number(r.ts),
      received_at: Number(r.received_at),
      campaign_id: Number(r.campaign_id),
      job_id: Number(r.job_id),
      extra: r.extra === null ? null : JSON.parse(String(r.extra)),
    };
    for (const k of COLUMNS) {
      if (JSON.stringify(got[k]) !== JSON.stringify(e[k]))
        problems.push(
          `${k} of ${e.event_id}: ${JSON.stringify(got[k])} != ${JSON.stringify(e[k])}`,
        );
    }
  }
  const [agg] = (
    await c.runAndReadAll(
      `SELECT count(*)::BIGINT n, count(message)::BIGINT m, typeof(any_value(ts)) t FROM read_parquet('${path}')`,
    )
  ).getRowObjectsJson();
  if (Number(agg?.n) !== ROWS) problems.push(`rows ${String(agg?.n)}`);
  if (Number(agg?.m) !== ROWS - Math.ceil(ROWS / 5))
    problems.push(`non-null messages ${String(agg?.m)}`);
  if (!String(agg?.t).startsWith('TIMESTAMP')) problems.push(`ts reads as ${String(agg?.t)}`);
  c.closeSync();
  db.closeSync();
  return { ok: problems.length === 0 && rows.length > 0, problems: problems.slice(0, 5) };
}

async function main() {
  const [mode, name, ndjson, out] = process.argv.slice(2);
  if (mode === 'child') {
    const started = performance.now();
    await writeWith(name as WriterName, ndjson ?? '', out ?? '');
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(
      JSON.stringify({ seconds, maxRssBytes: process.resourceUsage().maxRSS * 1024 }),
    );
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'loglake-parquet-bench-'));
  try {
    const ndjson = join(dir, 'events.ndjson');
    const lines: string[] = [];
    for (let i = 0; i < ROWS; i += 1) lines.push(JSON.stringify(makeEvent(i)));
    writeFileSync(ndjson, `${lines.join('\n')}\n`);
    const parseStart = performance.now();
    for (const l of lines) JSON.parse(l);
    const parseRate = ROWS / ((performance.now() - parseStart) / 1000);
    const results = [];
    for (const name of WRITERS) {
      const out = join(dir, `${name.replace(/[:]/g, '-')}.parquet`);
      const raw = execFileSync(
        process.execPath,
        ['--import', 'tsx', fileURLToPath(import.meta.url), 'child', name, ndjson, out],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
          maxBuffer: 1 << 20,
        },
      ).toString();
      const child = JSON.parse(raw) as { seconds: number; maxRssBytes: number };
      const check = await verify(out);
      results.push({
        writer: name,
        rows_per_s: Math.round(ROWS / child.seconds),
        peak_rss_mb: Math.round(child.maxRssBytes / 1024 / 1024),
        file_mb: +(statSync(out).size / 1e6).toFixed(1),
        duckdb_reads_back_every_value: check.ok,
        ...(check.ok ? {} : { problems: check.problems }),
      });
    }
    console.log(
      JSON.stringify(
        {
          bench: 'parquet-writers',
          date: new Date().toISOString(),
          rows: ROWS,
          bytes_per_event: Math.round(statSync(ndjson).size / ROWS),
          json_parse_events_per_s: Math.round(parseRate),
          note: 'JS writers are timed from reading the NDJSON (parse included), like DuckDB; one process per writer, first run',
          results,
        },
        null,
        2,
      ),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
