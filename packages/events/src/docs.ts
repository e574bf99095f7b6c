import { describeParquet, EXTRA_COLUMN, FIELD_TYPES } from './field-types.ts';
import { EXTRA_FIELD, FIELDS, type FieldSpec } from './fields.ts';
import { maxLengthOf } from './limits.ts';

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
      `| \`${f.name}\` | ${f.group} | ${FIELD_TYPES[f.type].jsonDoc} | ${limits(f)} | ${describeParquet(FIELD_TYPES[f.type].parquet)} | ${f.doc} |`,
  );
  return [
    '| field | group | JSON | limits | Parquet | meaning |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    `| \`${EXTRA_FIELD}\` | envelope | object | see limits | ${describeParquet(EXTRA_COLUMN.parquet)} | Every field the schema does not know, as sent. |`,
  ].join('\n');
}
