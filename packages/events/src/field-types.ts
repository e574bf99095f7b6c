/**
 * Each field type, defined once: what a client may send and how the gateway checks and writes it,
 * how the sink checks a stored value, and the column every reader sees (JSON Schema, DuckDB,
 * Parquet, Iceberg, docs/events.md). Everything per type in loglake reads this table.
 */
import type { FieldSpec, FieldType } from './fields.ts';
import { TIMESTAMP_MAX_MS, TIMESTAMP_MIN_MS } from './fields.ts';
import { maxLengthOf, type EventLimits } from './limits.ts';
import type { EventReject } from './rejects.ts';
import { parseEventTime } from './time.ts';

/** What a field's check needs of the request. */
export interface FieldCheckContext {
  /** When the request arrived, epoch ms (the window of accepted `ts`). */
  readonly receivedAt: number;
  readonly limits: EventLimits;
}

/** A field that failed its check (a class, so that a checked value is returned without a wrapper). */
export class FieldFailure {
  constructor(readonly reject: EventReject) {}
}

/** A checked client value, as written to Kafka (timestamps as epoch ms), or why it was refused. */
export type FieldOutcome = string | number | FieldFailure;

function bad(code: EventReject['code'], message: string, field: string): FieldFailure {
  return new FieldFailure({ code, message, field });
}

/** How the sink's Parquet files hold a column (`parquet_schema`: type, converted_type). */
export interface ParquetColumn {
  readonly physical: 'BYTE_ARRAY' | 'INT32' | 'INT64' | 'DOUBLE';
  readonly converted?: 'UTF8' | 'INT_32' | 'INT_64' | 'TIMESTAMP_MICROS' | 'JSON';
  /** A timestamp adjusted to UTC (Parquet's `isAdjustedToUTC`). */
  readonly utc?: boolean;
}

export type IcebergPrimitive = 'string' | 'int' | 'long' | 'double' | 'timestamptz';

export interface FieldTypeDef {
  /** What a client sends, for docs/events.md. */
  readonly jsonDoc: string;
  /** The JSON Schema of a client's value (OpenAPI), limits included. */
  readonly jsonSchema: (spec: FieldSpec) => Record<string, unknown>;
  /** The gateway's check of a client's value. */
  readonly accept: (spec: FieldSpec, value: unknown, ctx: FieldCheckContext) => FieldOutcome;
  /** The sink's check of a non-null value read from the topic; null when it can be stored. */
  readonly stored: (spec: FieldSpec, value: unknown) => EventReject | null;
  /** A regular expression source for literals surely of the type and in range (the sink's fast path). */
  readonly storedLiteral: (spec: FieldSpec) => string;
  /** The type DuckDB reads the stored JSON value as. */
  readonly duckRead: string;
  /** The SQL expression that turns the read value into the column. */
  readonly duckColumn: (sqlName: string) => string;
  readonly parquet: ParquetColumn;
  readonly iceberg: IcebergPrimitive;
}

const INT_TEXT = /^-?\d{1,16}$/;
/** A string without escapes or control characters (a quote can only end it). */
export const STRING_LITERAL = '"[^"\\\\\\x00-\\x1f]*"';
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function wrongType(spec: FieldSpec): EventReject {
  return {
    code: 'FIELD_TYPE',
    message: `${spec.name} has the wrong type for the schema`,
    field: spec.name,
  };
}

function acceptText(spec: FieldSpec, value: unknown, ctx: FieldCheckContext): FieldOutcome {
  const name = spec.name;
  if (typeof value !== 'string') return bad('FIELD_TYPE', `${name} must be a string`, name);
  const maxLength = maxLengthOf(spec, ctx.limits);
  if (maxLength !== undefined && value.length > maxLength) {
    return bad('FIELD_TOO_LONG', `${name} is longer than ${maxLength} characters`, name);
  }
  if (!value.isWellFormed())
    return bad('STRING_NOT_WELL_FORMED', `${name} contains a lone UTF-16 surrogate`, name);
  if (spec.values && !spec.values.includes(value)) {
    return bad('FIELD_VALUE_NOT_ALLOWED', `${name} must be one of ${spec.values.join(', ')}`, name);
  }
  return value;
}

function storedText(spec: FieldSpec, value: unknown): EventReject | null {
  if (typeof value !== 'string' || !value.isWellFormed()) return wrongType(spec);
  if (spec.values && !spec.values.includes(value)) {
    return {
      code: 'FIELD_VALUE_NOT_ALLOWED',
      message: `${spec.name} must be one of ${spec.values.join(', ')}`,
      field: spec.name,
    };
  }
  return null;
}

const text = {
  accept: acceptText,
  stored: storedText,
  duckRead: 'VARCHAR',
  duckColumn: (c: string) => c,
  parquet: { physical: 'BYTE_ARRAY', converted: 'UTF8' },
  iceberg: 'string',
} as const;

function acceptInteger(spec: FieldSpec, value: unknown, bits: 32 | 53): FieldOutcome {
  const name = spec.name;
  const n = typeof value === 'string' && INT_TEXT.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
    return bad('FIELD_TYPE', `${name} must be an integer (within ±2^53)`, name);
  }
  const max = spec.max ?? (bits === 32 ? 2 ** 31 - 1 : Number.MAX_SAFE_INTEGER);
  const min = spec.min ?? (bits === 32 ? -(2 ** 31) : Number.MIN_SAFE_INTEGER);
  if (n < min || n > max)
    return bad('FIELD_OUT_OF_RANGE', `${name} must be between ${min} and ${max}`, name);
  return n;
}

function integerSchema(spec: FieldSpec): Record<string, unknown> {
  return {
    description: spec.doc,
    oneOf: [{ type: 'integer' }, { type: 'string', pattern: INT_TEXT.source }],
    ...(spec.min !== undefined ? { minimum: spec.min } : {}),
    ...(spec.max !== undefined ? { maximum: spec.max } : {}),
  };
}

export const FIELD_TYPES: Readonly<Record<FieldType, FieldTypeDef>> = {
  string: {
    ...text,
    jsonDoc: 'string',
    jsonSchema: (spec) => {
      const maxLength = maxLengthOf(spec);
      return { description: spec.doc, type: 'string', ...(maxLength ? { maxLength } : {}) };
    },
    storedLiteral: () => STRING_LITERAL,
  },
  enum: {
    ...text,
    jsonDoc: 'string',
    jsonSchema: (spec) => ({ description: spec.doc, type: 'string', enum: spec.values }),
    storedLiteral: (spec) => `"(?:${(spec.values ?? []).map(escapeRegExp).join('|')})"`,
  },
  int32: {
    jsonDoc: 'integer',
    jsonSchema: integerSchema,
    accept: (spec, value) => acceptInteger(spec, value, 32),
    stored: (spec, v) =>
      Number.isInteger(v) && Math.abs(v as number) <= 2 ** 31 - 1 ? null : wrongType(spec),
    storedLiteral: () => '-?(?:0|[1-9]\\d{0,8})', // |n| < 10^9 < 2^31
    duckRead: 'INTEGER',
    duckColumn: (c) => c,
    parquet: { physical: 'INT32', converted: 'INT_32' },
    iceberg: 'int',
  },
  int64: {
    jsonDoc: 'integer (or digits as a string)',
    jsonSchema: integerSchema,
    accept: (spec, value) => acceptInteger(spec, value, 53),
    stored: (spec, v) => (Number.isSafeInteger(v) ? null : wrongType(spec)),
    storedLiteral: () => '-?(?:0|[1-9]\\d{0,14})', // |n| < 10^15 < 2^53
    duckRead: 'BIGINT',
    duckColumn: (c) => c,
    parquet: { physical: 'INT64', converted: 'INT_64' },
    iceberg: 'long',
  },
  double: {
    jsonDoc: 'number',
    jsonSchema: (spec) => ({
      description: spec.doc,
      type: 'number',
      ...(spec.min !== undefined ? { minimum: spec.min } : {}),
      ...(spec.max !== undefined ? { maximum: spec.max } : {}),
    }),
    accept: (spec, value) => {
      const name = spec.name;
      if (typeof value !== 'number' || !Number.isFinite(value))
        return bad('FIELD_TYPE', `${name} must be a number`, name);
      if (
        (spec.min !== undefined && value < spec.min) ||
        (spec.max !== undefined && value > spec.max)
      ) {
        return bad('FIELD_OUT_OF_RANGE', `${name} is out of range`, name);
      }
      return value;
    },
    stored: (spec, v) => (typeof v === 'number' && Number.isFinite(v) ? null : wrongType(spec)),
    storedLiteral: () => '-?(?:0|[1-9]\\d{0,15})(?:\\.\\d{1,20})?(?:[eE][+-]?\\d{1,2})?', // finite
    duckRead: 'DOUBLE',
    duckColumn: (c) => c,
    parquet: { physical: 'DOUBLE' },
    iceberg: 'double',
  },
  timestamp: {
    jsonDoc: 'RFC 3339 string or epoch ms',
    jsonSchema: (spec) => ({
      description: spec.doc,
      oneOf: [
        { type: 'string', format: 'date-time' },
        { type: 'integer', description: 'epoch milliseconds' },
      ],
    }),
    accept: (spec, value, ctx) => {
      const name = spec.name;
      const ms = parseEventTime(value);
      if (ms === null)
        return bad(
          'FIELD_TYPE',
          `${name} must be an RFC 3339 date-time or epoch milliseconds`,
          name,
        );
      const { maxPastMs, maxFutureMs } = ctx.limits;
      if (ms < ctx.receivedAt - maxPastMs || ms > ctx.receivedAt + maxFutureMs) {
        return bad(
          'TS_OUT_OF_WINDOW',
          `${name} must be within ${Math.round(maxPastMs / 3600000)} h before and ${Math.round(maxFutureMs / 60000)} min after receive time`,
          name,
        );
      }
      return ms;
    },
    stored: (spec, v) => {
      if (!Number.isSafeInteger(v)) return wrongType(spec);
      if ((v as number) < TIMESTAMP_MIN_MS || (v as number) > TIMESTAMP_MAX_MS) {
        return {
          code: 'FIELD_OUT_OF_RANGE',
          message: `${spec.name} is outside years 0001 to 9999`,
          field: spec.name,
        };
      }
      return null;
    },
    // 0 .. 10^14 - 1 (year 5138) and down to -(10^13 - 1) (year 1653): inside years 1-9999.
    storedLiteral: () => '(?:0|[1-9]\\d{0,13}|-[1-9]\\d{0,12})',
    duckRead: 'BIGINT',
    duckColumn: (c) => `make_timestamptz(${c} * 1000)`,
    parquet: { physical: 'INT64', converted: 'TIMESTAMP_MICROS', utc: true },
    iceberg: 'timestamptz',
  },
};

/** The `extra` column: a JSON object of the fields the schema does not know. */
export const EXTRA_COLUMN = {
  duckRead: 'JSON',
  parquet: { physical: 'BYTE_ARRAY', converted: 'JSON' } satisfies ParquetColumn,
  iceberg: 'string' satisfies IcebergPrimitive,
} as const;

/** A column as docs/events.md shows it, e.g. `INT64 (TIMESTAMP_MICROS, UTC)`. */
export function describeParquet(column: ParquetColumn): string {
  const notes = [column.converted, column.utc ? 'UTC' : undefined].filter(Boolean);
  return notes.length > 0 ? `${column.physical} (${notes.join(', ')})` : column.physical;
}
