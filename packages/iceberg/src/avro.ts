import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { deflateRawSync } from 'node:zlib';
import avro from 'avsc';

/**
 * Avro object container files (manifests, manifest lists) behind this package's own interface, so
 * the library can be swapped. The implementation is avsc 5.7 (npm, MIT): Avro `long` values are
 * bigint in both directions (avsc's default long type throws beyond 2^53, and snapshot ids live
 * there), unions with null are plain `value | null`, and the schema in the header is written with
 * every attribute kept (`field-id`, `element-id`, `logicalType: "map"`), as Iceberg readers need.
 */

/** An Avro schema as JSON (records, unions, arrays with Iceberg's attributes). */
export type AvroSchema = Record<string, unknown>;

export interface AvroFile {
  readonly metadata: Readonly<Record<string, string>>;
  readonly records: readonly Record<string, unknown>[];
}

const BIGINT_LONG = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
  toBuffer: (n: bigint) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(n);
    return buf;
  },
  fromJSON: (n: number | string) => BigInt(n),
  toJSON: (n: bigint) => Number(n),
  isValid: (n: unknown) => typeof n === 'bigint',
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
});

function avroType(schema: unknown): avro.Type {
  return avro.Type.forSchema(schema as avro.Schema, {
    registry: { long: BIGINT_LONG },
    wrapUnions: false,
  });
}

/** The container header (Avro spec, "Object Container Files"). */
const HEADER = avro.Type.forSchema({
  type: 'record',
  name: 'org.apache.avro.file.Header',
  fields: [
    { name: 'magic', type: { type: 'fixed', name: 'Magic', size: 4 } },
    { name: 'meta', type: { type: 'map', values: 'bytes' } },
    { name: 'sync', type: { type: 'fixed', name: 'Sync', size: 16 } },
  ],
});
const MAGIC = Buffer.from('Obj\x01', 'latin1');

/**
 * One container file: a header holding `schema` as given (avsc's encoder would re-export it without
 * Iceberg's attributes), the codec and `metadata`, then the records in one deflate block.
 */
export function writeAvroFile(
  schema: AvroSchema,
  metadata: Readonly<Record<string, string>>,
  records: readonly Record<string, unknown>[],
): Buffer {
  const type = avroType(schema);
  const meta: Record<string, Buffer> = {
    'avro.schema': Buffer.from(JSON.stringify(schema), 'utf8'),
    'avro.codec': Buffer.from('deflate'),
  };
  for (const [key, value] of Object.entries(metadata)) meta[key] = Buffer.from(value, 'utf8');
  const sync = randomBytes(16);
  const parts = [HEADER.toBuffer({ magic: MAGIC, meta, sync })];
  if (records.length > 0) {
    const encoded = records.map((record) => {
      const invalid: string[] = [];
      if (
        !type.isValid(record, { errorHook: (path: string[]) => void invalid.push(path.join('.')) })
      ) {
        throw new Error(
          `record does not match Avro schema ${String(schema.name)} at ${invalid.join(', ')}`,
        );
      }
      return type.toBuffer(record);
    });
    const block = deflateRawSync(Buffer.concat(encoded));
    parts.push(
      BIGINT_LONG.toBuffer(BigInt(records.length)),
      BIGINT_LONG.toBuffer(BigInt(block.length)),
      block,
      sync,
    );
  }
  return Buffer.concat(parts);
}

/** Reads a container file written by anyone (Java writes deflate by default; `null` too). */
export async function readAvroFile(bytes: Buffer): Promise<AvroFile> {
  const decoder = new avro.streams.BlockDecoder({
    parseHook: (schema: unknown) => avroType(schema),
  });
  const records: Record<string, unknown>[] = [];
  const metadata: Record<string, string> = {};
  await new Promise<void>((resolve, reject) => {
    decoder.on(
      'metadata',
      (_type: unknown, _codec: unknown, header: { meta: Record<string, Buffer> }) => {
        for (const [key, value] of Object.entries(header.meta)) {
          if (!key.startsWith('avro.')) metadata[key] = value.toString('utf8');
        }
      },
    );
    decoder.on('data', (record: Record<string, unknown>) => records.push({ ...record }));
    decoder.on('end', resolve);
    decoder.on('error', reject);
    Readable.from([bytes]).pipe(decoder);
  });
  return { metadata, records };
}
