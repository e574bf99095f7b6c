import { EXTRA_FIELD, FIELDS, type FieldSpec } from './fields.ts';
import { maxLengthOf } from './limits.ts';

const PARQUET: Record<FieldSpec['type'], string> = {
  string: 'BYTE_ARRAY (UTF8)',
  enum: 'BYTE_ARRAY (UTF8)',
  int32: 'INT32',
  int64: 'INT64',
  double: 'DOUBLE',
  timestamp: 'INT64 TIMESTAMP(MILLIS, UTC)',
};

const JSON_TYPE: Record<FieldSpec['type'], string> = {
  string: 'string',
  enum: 'string',
  int32: 'integer',
  int64: 'integer (or digits as a string)',
  double: 'number',
  timestamp: 'RFC 3339 string or epoch ms',
};

function limits(f: FieldSpec): string {
  const parts: string[] = [];
  const maxLength = maxLengthOf(f);
  if (maxLength !== undefined)
    parts.push(`≤ ${maxLength} chars${f.lengthLimit ? ' (by default; configurable)' : ''}`);
  if (f.values) parts.push(f.values.map((v) => `\`${v}\``).join(' / '));
  if (f.min !== undefined) parts.push(`≥ ${f.min}`);
  if (f.max !== undefined) parts.push(`≤ ${f.max}`);
  return parts.join('; ');
}

/** The field table of docs/events.md, rendered from FIELDS (a test keeps the two equal). */
export function renderFieldTable(): string {
  const rows = FIELDS.map(
    (f) =>
      `| \`${f.name}\` | ${f.group} | ${JSON_TYPE[f.type]} | ${limits(f)} | ${PARQUET[f.type]} | ${f.doc} |`,
  );
  return [
    '| field | group | JSON | limits | Parquet | meaning |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    `| \`${EXTRA_FIELD}\` | envelope | object | see limits | BYTE_ARRAY (JSON) | Every field the schema does not know, as sent. |`,
  ].join('\n');
}
