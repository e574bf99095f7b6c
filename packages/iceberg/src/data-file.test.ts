import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDataFileWriter, type DataFileWriter } from './data-file.ts';
import { FIELD_IDS } from './schema.ts';

const hour = Date.UTC(2026, 11, 1, 21);
const events = [
  {
    event_id: 'a',
    event_type: 'click',
    ts: hour + 1,
    received_at: hour + 5,
    status: 200,
    bid: 1.5,
    campaign_id: 9007199254740991,
    extra: { k: 1 },
  },
  {
    event_id: 'b',
    event_type: 'log',
    ts: hour + 3_599_999,
    received_at: hour + 3_600_100,
    status: 503,
    bid: null,
    message: 'x',
  },
  {
    event_id: 'c',
    event_type: 'log',
    ts: hour + 60_000,
    received_at: hour + 60_001,
    latency_ms: 2.25,
  },
];

let dir: string;
let writer: DataFileWriter;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'iceberg-data-'));
  writer = await createDataFileWriter({ threads: 1, memoryLimitMb: 256 });
});
afterAll(() => {
  writer.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('data files', () => {
  it('carry the field ids and the Iceberg types in the Parquet schema', async () => {
    const path = join(dir, 'ids.parquet');
    await writer.write(
      events.map((e) => JSON.stringify(e)),
      path,
    );
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const schema = (
      await c.runAndReadAll(
        `SELECT name, field_id::INTEGER AS field_id, type, logical_type::VARCHAR AS logical_type FROM parquet_schema('${path}') WHERE name <> 'duckdb_schema'`,
      )
    ).getRowObjectsJson();
    c.closeSync();
    db.closeSync();
    expect(schema.find((r) => r.name === 'ts')).toMatchObject({
      field_id: FIELD_IDS.ts,
      type: 'INT64',
    });
    expect(String(schema.find((r) => r.name === 'ts')?.logical_type)).toMatch(
      /isAdjustedToUTC=1.*MICROS|TimestampType.*isAdjustedToUTC=1/,
    );
    expect(schema.find((r) => r.name === 'extra')).toMatchObject({
      field_id: FIELD_IDS.extra,
      type: 'BYTE_ARRAY',
    });
    expect(schema.every((r) => typeof r.field_id === 'number')).toBe(true);
    expect(schema).toHaveLength(Object.keys(FIELD_IDS).length);
  });

  it('are measured from the written file: rows, size, null counts, bounds, hour', async () => {
    const path = join(dir, 'stats.parquet');
    const file = await writer.write(
      events.map((e) => JSON.stringify(e)),
      path,
    );
    expect(file.recordCount).toBe(3n);
    expect(file.tsHour).toBe(hour / 3_600_000);
    expect(file.fileSizeInBytes).toBeGreaterThan(0n);
    expect(file.valueCounts.get(FIELD_IDS.status!)).toBe(3n);
    expect(file.nullValueCounts.get(FIELD_IDS.status!)).toBe(1n);
    expect(file.nullValueCounts.get(FIELD_IDS.bid!)).toBe(2n);
    expect(file.nanValueCounts.get(FIELD_IDS.bid!)).toBe(0n);
    expect(file.lowerBounds.get(FIELD_IDS.status!)?.readInt32LE()).toBe(200);
    expect(file.upperBounds.get(FIELD_IDS.status!)?.readInt32LE()).toBe(503);
    expect(file.lowerBounds.get(FIELD_IDS.ts!)?.readBigInt64LE()).toBe(BigInt(hour + 1) * 1000n);
    expect(file.upperBounds.get(FIELD_IDS.ts!)?.readBigInt64LE()).toBe(
      BigInt(hour + 3_599_999) * 1000n,
    );
    expect(file.lowerBounds.get(FIELD_IDS.campaign_id!)?.readBigInt64LE()).toBe(9007199254740991n);
    expect(file.lowerBounds.has(FIELD_IDS.event_id!)).toBe(false);
    expect(file.columnSizes.get(FIELD_IDS.message!)).toBeGreaterThan(0n);
  });

  it('refuses rows without ts (no partition value)', async () => {
    const lines = [
      JSON.stringify(events[0]),
      JSON.stringify({ event_id: 'no-ts', event_type: 'log' }),
    ];
    await expect(writer.write(lines, join(dir, 'no-ts.parquet'))).rejects.toThrow(/without ts/);
  });

  it('refuses rows of two hours in one file', async () => {
    const two = [events[0], { ...events[0], event_id: 'z', ts: hour + 3_600_000 }];
    await expect(
      writer.write(
        two.map((e) => JSON.stringify(e)),
        join(dir, 'two.parquet'),
      ),
    ).rejects.toThrow(/more than one hour/);
  });
});
