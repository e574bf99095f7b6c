import { EXTRA_COLUMN, EXTRA_FIELD, FIELD_TYPES, FIELDS } from '@loglake/events';
import type { NestedField, Schema } from './types.ts';

/**
 * Iceberg field ids of the event columns. An id is the column's identity for every reader
 * (renames keep it; Parquet files carry it), so an assigned id never changes and is never reused:
 * a new field takes the next free id, a removed field's id stays retired here.
 * `schema.test.ts` holds a copy of this table and fails when an entry changes.
 */
export const FIELD_IDS: Readonly<Record<string, number>> = Object.freeze({
  event_id: 1,
  event_type: 2,
  ts: 3,
  received_at: 4,
  source: 5,
  create_time: 6,
  bid: 7,
  campaign_id: 8,
  company_id: 9,
  publisher_id: 10,
  group_id: 11,
  job_id: 12,
  custom_track: 13,
  level: 14,
  message: 15,
  user_id: 16,
  session_id: 17,
  url: 18,
  status: 19,
  latency_ms: 20,
  user_agent: 21,
  ip: 22,
  [EXTRA_FIELD]: 23,
});

function fieldId(name: string): number {
  const id = FIELD_IDS[name];
  if (id === undefined) throw new Error(`event field ${name} has no Iceberg field id in FIELD_IDS`);
  return id;
}

/**
 * The table's columns in the order of the event field table, then `extra` (a JSON string).
 * Every column is optional: the gateway fills `event_id`, `ts` and `received_at`, but a required
 * column cannot be made optional in files already written, while optional can always be tightened
 * by readers' queries.
 */
export function eventColumns(): NestedField[] {
  return [
    ...FIELDS.map((f) => ({
      id: fieldId(f.name),
      name: f.name,
      required: false,
      type: FIELD_TYPES[f.type].iceberg,
      doc: f.doc,
    })),
    {
      id: fieldId(EXTRA_FIELD),
      name: EXTRA_FIELD,
      required: false,
      type: EXTRA_COLUMN.iceberg,
      doc: 'Fields the schema does not know, as a JSON object.',
    },
  ];
}

export function eventSchema(schemaId = 0): Schema {
  return { type: 'struct', 'schema-id': schemaId, fields: eventColumns() };
}
