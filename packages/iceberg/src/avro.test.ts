import { describe, expect, it } from 'vitest';
import { readAvroFile, writeAvroFile } from './avro.ts';

const schema = {
  type: 'record',
  name: 'manifest_file',
  fields: [
    { name: 'manifest_path', type: 'string', 'field-id': 500 },
    { name: 'added_snapshot_id', type: 'long', 'field-id': 503 },
    { name: 'key_metadata', type: ['null', 'bytes'], default: null, 'field-id': 519 },
    {
      name: 'counts',
      type: [
        'null',
        {
          type: 'array',
          logicalType: 'map',
          items: {
            type: 'record',
            name: 'k1_v2',
            fields: [
              { name: 'key', type: 'int', 'field-id': 1 },
              { name: 'value', type: 'long', 'field-id': 2 },
            ],
          },
        },
      ],
      default: null,
      'field-id': 3,
    },
  ],
};

describe('Avro container files', () => {
  it('round-trips longs above 2^53 exactly, nulls and int-keyed maps, with the metadata', async () => {
    const records = [
      {
        manifest_path: 's3://b/m1.avro',
        added_snapshot_id: 7635660646343998149n,
        key_metadata: null,
        counts: [{ key: 1, value: 2n ** 62n }],
      },
      {
        manifest_path: 's3://b/m2.avro',
        added_snapshot_id: -1n,
        key_metadata: Buffer.from([1, 2]),
        counts: null,
      },
    ];
    const bytes = writeAvroFile(
      schema,
      { 'format-version': '2', 'snapshot-id': '7635660646343998149' },
      records,
    );
    expect(bytes.subarray(0, 4)).toEqual(Buffer.from('Obj\x01', 'latin1'));
    const back = await readAvroFile(bytes);
    expect(back.metadata).toEqual({ 'format-version': '2', 'snapshot-id': '7635660646343998149' });
    expect(back.records).toEqual(records);
  });

  it('writes the schema with its Iceberg attributes into the header', async () => {
    const bytes = writeAvroFile(schema, {}, []);
    const text = bytes.toString('latin1');
    expect(text).toContain('"field-id":503');
    expect(text).toContain('"logicalType":"map"');
  });

  it('refuses a record that does not match, naming the field', async () => {
    expect(() =>
      writeAvroFile(schema, {}, [
        { manifest_path: 'x', added_snapshot_id: 1, key_metadata: null, counts: null },
      ]),
    ).toThrow(/added_snapshot_id/);
  });
});
