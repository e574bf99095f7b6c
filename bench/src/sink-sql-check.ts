/**
 * `tsx bench/src/sink-sql-check.ts`: what moving the sink's record check into DuckDB (issue 12,
 * "validation and bucketing in SQL") would cost, against the COPY the sink runs today, on one
 * 64 MB bucket of the drain's event (no Kafka, no S3). Each variant runs three times on one DuckDB
 * thread with the sink's settings; prints CPU-seconds per million rows (the process's, which is
 * DuckDB's: the event loop only waits).
 *   today    typed `read_json` → COPY (types are checked by the reader, which refuses a whole file)
 *   json     every field read as JSON, a reject code per row from the field table (type, range,
 *            enum, required), cast to the column types, `dt/hour` bucket, one COPY
 *   typed    today's typed read plus required, enum and bucket in SQL (no per-row type codes)
 *   foreign  the keys of each line outside the field table (what goes to `extra`), alone
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { EXTRA_COLUMN, EXTRA_FIELD, FIELD_TYPES, FIELDS, type FieldSpec } from '@loglake/events';
import { backlogLine } from './sink-drain.ts';

const quote = (n: string) => `"${n}"`;
const REQUIRED = ['event_id', 'event_type', 'ts', 'received_at'];

function typeCheck(f: FieldSpec): string {
  const c = quote(f.name);
  const t = `json_type(${c})`;
  const asInt = `TRY_CAST(${c} AS BIGINT)`;
  switch (f.type) {
    case 'string':
      return `${t} = 'VARCHAR'`;
    case 'enum':
      return `${t} = 'VARCHAR' AND (${c}->>'$') IN (${(f.values ?? []).map((v) => `'${v}'`).join(', ')})`;
    case 'int32':
      return `${t} IN ('BIGINT', 'UBIGINT') AND ${asInt} BETWEEN ${f.min ?? -(2 ** 31)} AND ${f.max ?? 2 ** 31 - 1}`;
    case 'int64':
    case 'timestamp':
      return `${t} IN ('BIGINT', 'UBIGINT') AND abs(${asInt}) <= ${Number.MAX_SAFE_INTEGER}`;
    case 'double':
      return `${t} IN ('DOUBLE', 'BIGINT', 'UBIGINT')`;
  }
}

function statements(input: string, out: string): Record<string, string> {
  const read = (spec: string) =>
    `read_json('${input}', format = 'newline_delimited', columns = ${spec}, maximum_object_size = 16777216)`;
  const to = `TO '${out}' (FORMAT parquet, COMPRESSION zstd)`;
  const typedSpec = `{${[...FIELDS.map((f) => `${quote(f.name)}: '${FIELD_TYPES[f.type].duckRead}'`), `${quote(EXTRA_FIELD)}: '${EXTRA_COLUMN.duckRead}'`].join(', ')}}`;
  const jsonSpec = `{${[...FIELDS, { name: EXTRA_FIELD }].map((f) => `${quote(f.name)}: 'JSON'`).join(', ')}}`;
  const columns = FIELDS.map((f) => {
    const c = FIELD_TYPES[f.type].duckColumn(quote(f.name));
    return c === quote(f.name) ? c : `${c} AS ${quote(f.name)}`;
  }).join(', ');
  const reject = `CASE ${FIELDS.map((f) => {
    const c = quote(f.name);
    const required = REQUIRED.includes(f.name)
      ? `WHEN ${c} IS NULL THEN 'FIELD_REQUIRED ${f.name}' `
      : '';
    return `${required}WHEN ${c} IS NOT NULL AND json_type(${c}) <> 'NULL' AND NOT (${typeCheck(f)}) THEN 'FIELD_TYPE ${f.name}'`;
  }).join(' ')} END`;
  const cast = FIELDS.map((f) => {
    const raw =
      f.type === 'string' || f.type === 'enum'
        ? `(${quote(f.name)}->>'$')`
        : `TRY_CAST(${quote(f.name)} AS ${FIELD_TYPES[f.type].duckRead})`;
    return `${FIELD_TYPES[f.type].duckColumn(raw)} AS ${quote(f.name)}`;
  }).join(', ');
  const bucket = (ts: string) => `date_trunc('hour', make_timestamptz(${ts} * 1000)) AS bucket`;
  const enums = FIELDS.filter((f) => f.type === 'enum')
    .map(
      (f) =>
        `WHEN ${quote(f.name)} NOT IN (${(f.values ?? []).map((v) => `'${v}'`).join(', ')}) THEN 'FIELD_VALUE_NOT_ALLOWED ${f.name}'`,
    )
    .join(' ');
  const required = REQUIRED.map((n) => `WHEN ${quote(n)} IS NULL THEN 'FIELD_REQUIRED ${n}'`).join(
    ' ',
  );
  const known = [...FIELDS.map((f) => `'${f.name}'`), `'${EXTRA_FIELD}'`].join(', ');
  return {
    today: `COPY (SELECT ${columns}, ${quote(EXTRA_FIELD)} FROM ${read(typedSpec)}) ${to}`,
    json: `COPY (SELECT ${reject} AS reject, ${cast}, ${quote(EXTRA_FIELD)}, ${bucket('TRY_CAST(ts AS BIGINT)')} FROM ${read(jsonSpec)}) ${to}`,
    typed: `COPY (SELECT CASE ${required} ${enums} END AS reject, ${bucket('ts')}, ${columns}, ${quote(EXTRA_FIELD)} FROM ${read(typedSpec)}) ${to}`,
    foreign: `SELECT count(*) FROM (SELECT list_filter(json_keys(json), k -> k NOT IN (${known})) AS f FROM read_ndjson_objects('${input}')) WHERE len(f) > 0`,
  };
}

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'sink-sql-check-'));
  try {
    const now = Date.now();
    const lines: string[] = [];
    let bytes = 0;
    for (let i = 0; bytes < 64 * 2 ** 20; i += 1) {
      const line = backlogLine(i * 6, now);
      lines.push(line);
      bytes += line.length + 1;
    }
    const input = join(dir, 'bucket.ndjson');
    await writeFile(input, `${lines.join('\n')}\n`);
    const instance = await DuckDBInstance.create(':memory:', {
      threads: '1',
      preserve_insertion_order: 'true',
      allocator_flush_threshold: '0MB',
      allocator_bulk_deallocation_flush_threshold: '0MB',
    });
    const connection = await instance.connect();
    const result: Record<string, number[]> = {};
    for (const [name, sql] of Object.entries(statements(input, join(dir, 'out.parquet')))) {
      result[name] = [];
      for (let run = 0; run < 3; run += 1) {
        const c0 = process.cpuUsage();
        await connection.run(sql);
        const c = process.cpuUsage(c0);
        result[name].push(Math.round(((c.user + c.system) / lines.length) * 100) / 100);
      }
      process.stderr.write(`${name}: ${result[name].join(', ')} CPU-s per million rows\n`);
    }
    connection.closeSync();
    instance.closeSync();
    console.log(
      JSON.stringify(
        { bench: 'sink-sql-check', rows: lines.length, bytes, cpu_s_per_million: result },
        null,
        2,
      ),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
