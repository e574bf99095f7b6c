import { describe, expect, it } from 'vitest';
import { EXTRA_FIELD, FIELDS } from '@loglake/events';
import { FIELD_IDS, eventSchema } from './schema.ts';

/**
 * Assigned ids and types as released. Changing a line here breaks every table already written:
 * add new fields with new ids instead (and only widen types as Iceberg allows: int → long).
 */
const RELEASED: Record<string, [number, string]> = {
  event_id: [1, 'string'],
  event_type: [2, 'string'],
  ts: [3, 'timestamptz'],
  received_at: [4, 'timestamptz'],
  source: [5, 'string'],
  create_time: [6, 'string'],
  bid: [7, 'double'],
  campaign_id: [8, 'long'],
  company_id: [9, 'long'],
  publisher_id: [10, 'long'],
  group_id: [11, 'long'],
  job_id: [12, 'long'],
  custom_track: [13, 'string'],
  level: [14, 'string'],
  message: [15, 'string'],
  user_id: [16, 'string'],
  session_id: [17, 'string'],
  url: [18, 'string'],
  status: [19, 'int'],
  latency_ms: [20, 'double'],
  user_agent: [21, 'string'],
  ip: [22, 'string'],
  extra: [23, 'string'],
};

describe('event table schema', () => {
  const schema = eventSchema();

  it('has one column per event field plus extra, in the field table order', () => {
    expect(schema.fields.map((f) => f.name)).toEqual([...FIELDS.map((f) => f.name), EXTRA_FIELD]);
  });

  it('keeps every released id and type', () => {
    for (const [name, [id, type]] of Object.entries(RELEASED)) {
      const field = schema.fields.find((f) => f.name === name);
      expect(field, `${name} is still a column (retire it here, never reuse its id)`).toBeDefined();
      expect([field?.id, field?.type], name).toEqual([id, type]);
    }
  });

  it('gives every column its own id', () => {
    const ids = schema.fields.map((f) => f.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(Object.values(FIELD_IDS)).size).toBe(Object.keys(FIELD_IDS).length);
  });
});
