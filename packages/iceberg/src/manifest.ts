import { writeAvroFile, type AvroSchema } from './avro.ts';
import type { DataFile } from './data-file.ts';
import { stringifyJson } from './json.ts';
import type { PartitionSpec, Schema } from './types.ts';

/** `status` of a manifest entry. */
export const ENTRY_ADDED = 1;

const optional = (name: string, fieldId: number, type: unknown) => ({
  name,
  type: ['null', type],
  default: null,
  'field-id': fieldId,
});

/** An int-keyed map as Iceberg writes it in Avro: an array of key/value records, `logicalType: map`. */
const intMap = (name: string, fieldId: number, keyId: number, valueId: number, valueType: string) =>
  optional(name, fieldId, {
    type: 'array',
    logicalType: 'map',
    items: {
      type: 'record',
      name: `k${keyId}_v${valueId}`,
      fields: [
        { name: 'key', type: 'int', 'field-id': keyId },
        { name: 'value', type: valueType, 'field-id': valueId },
      ],
    },
  });

/**
 * The v2 `manifest_entry` schema (spec §Manifests) for a table partitioned by `spec`, with Java's
 * record names (`r2`, `r102`, `k117_v118`) since some readers resolve by name.
 */
export function manifestEntrySchema(spec: PartitionSpec): AvroSchema {
  const partition = {
    type: 'record',
    name: 'r102',
    fields: spec.fields.map((f) => optional(f.name, f['field-id'], 'int')),
  };
  return {
    type: 'record',
    name: 'manifest_entry',
    fields: [
      { name: 'status', type: 'int', 'field-id': 0 },
      optional('snapshot_id', 1, 'long'),
      optional('sequence_number', 3, 'long'),
      optional('file_sequence_number', 4, 'long'),
      {
        name: 'data_file',
        'field-id': 2,
        type: {
          type: 'record',
          name: 'r2',
          fields: [
            { name: 'content', type: 'int', 'field-id': 134 },
            { name: 'file_path', type: 'string', 'field-id': 100 },
            { name: 'file_format', type: 'string', 'field-id': 101 },
            { name: 'partition', type: partition, 'field-id': 102 },
            { name: 'record_count', type: 'long', 'field-id': 103 },
            { name: 'file_size_in_bytes', type: 'long', 'field-id': 104 },
            intMap('column_sizes', 108, 117, 118, 'long'),
            intMap('value_counts', 109, 119, 120, 'long'),
            intMap('null_value_counts', 110, 121, 122, 'long'),
            intMap('nan_value_counts', 137, 138, 139, 'long'),
            intMap('lower_bounds', 125, 126, 127, 'bytes'),
            intMap('upper_bounds', 128, 129, 130, 'bytes'),
            optional('key_metadata', 131, 'bytes'),
            optional('split_offsets', 132, { type: 'array', items: 'long', 'element-id': 133 }),
            optional('equality_ids', 135, { type: 'array', items: 'int', 'element-id': 136 }),
            optional('sort_order_id', 140, 'int'),
          ],
        },
      },
    ],
  };
}

const entries = <V>(map: ReadonlyMap<number, V>) =>
  [...map].sort(([a], [b]) => a - b).map(([key, value]) => ({ key, value }));

/**
 * A manifest entry for a newly added file. Snapshot id and sequence numbers are left null: they
 * are inherited from the manifest list (spec §Sequence Number Inheritance), so the manifest is
 * written once and reused by every commit attempt.
 */
function addedEntry(spec: PartitionSpec, file: DataFile): Record<string, unknown> {
  const partition: Record<string, number> = {};
  for (const f of spec.fields) {
    if (f.transform !== 'hour')
      throw new Error(`partition transform ${f.transform} is not written here`);
    partition[f.name] = file.tsHour;
  }
  return {
    status: ENTRY_ADDED,
    snapshot_id: null,
    sequence_number: null,
    file_sequence_number: null,
    data_file: {
      content: 0,
      file_path: file.filePath,
      file_format: 'PARQUET',
      partition,
      record_count: file.recordCount,
      file_size_in_bytes: file.fileSizeInBytes,
      column_sizes: entries(file.columnSizes),
      value_counts: entries(file.valueCounts),
      null_value_counts: entries(file.nullValueCounts),
      nan_value_counts: entries(file.nanValueCounts),
      lower_bounds: entries(file.lowerBounds),
      upper_bounds: entries(file.upperBounds),
      key_metadata: null,
      split_offsets: null,
      equality_ids: null,
      sort_order_id: null,
    },
  };
}

/** A data manifest (Avro) listing `files` as added, with the metadata keys readers require. */
export function writeDataManifest(
  schema: Schema,
  spec: PartitionSpec,
  files: readonly DataFile[],
): Buffer {
  return writeAvroFile(
    manifestEntrySchema(spec),
    {
      schema: stringifyJson(schema),
      'schema-id': String(schema['schema-id']),
      'partition-spec': stringifyJson(spec.fields),
      'partition-spec-id': String(spec['spec-id']),
      'format-version': '2',
      content: 'data',
    },
    files.map((f) => addedEntry(spec, f)),
  );
}
