import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import {
  EXTRA_COLUMN,
  EXTRA_FIELD,
  FIELD_TYPES,
  FIELDS,
  type ParquetColumn,
} from '@loglake/events';
import { createDuckDbEncoder } from './duckdb-encoder.ts';

const dir = mkdtempSync(join(tmpdir(), 'parquet-columns-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A column as parquet_schema reports it, in the field table's terms. */
function asColumn(row: Record<string, unknown>): ParquetColumn {
  const utc = /isAdjustedToUTC=1/.test(String(row.logical_type ?? ''));
  return {
    physical: row.type as ParquetColumn['physical'],
    ...(row.converted_type ? { converted: row.converted_type as ParquetColumn['converted'] } : {}),
    ...(utc ? { utc } : {}),
  };
}

describe('the Parquet columns the sink writes', () => {
  it('are the ones the field table declares (and docs/events.md shows)', async () => {
    const encoder = await createDuckDbEncoder({ codec: 'zstd', threads: 1, memoryLimitMb: 128 });
    const path = join(dir, 'columns.parquet');
    const event = {
      event_id: 'e1',
      event_type: 'click',
      ts: 1_700_000_000_000,
      received_at: 1_700_000_000_001,
      source: 'test',
      bid: 0.5,
      campaign_id: 7,
      status: 200,
      custom_track: 'click',
      extra: { a: 1 },
    };
    try {
      expect(await encoder.encode([JSON.stringify(event)], path)).toMatchObject({ rows: 1 });
    } finally {
      await encoder.close();
    }
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const rows = (
      await c.runAndReadAll(
        `SELECT name, type, converted_type, logical_type::VARCHAR AS logical_type FROM parquet_schema('${path}') WHERE name <> 'duckdb_schema'`,
      )
    ).getRowObjectsJson();
    c.closeSync();
    db.closeSync();
    const written = Object.fromEntries(rows.map((r) => [String(r.name), asColumn(r)]));
    const declared = Object.fromEntries([
      ...FIELDS.map((f) => [f.name, FIELD_TYPES[f.type].parquet]),
      [EXTRA_FIELD, EXTRA_COLUMN.parquet],
    ]);
    expect(written).toEqual(declared);
  });
});
