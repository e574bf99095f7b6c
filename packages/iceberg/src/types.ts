/**
 * The parts of Iceberg's table metadata and REST payloads this package reads and writes
 * (spec §Table Metadata, REST OpenAPI). 64-bit ids and sequence numbers are bigint.
 */

export type PrimitiveType =
  | 'boolean'
  | 'int'
  | 'long'
  | 'float'
  | 'double'
  | 'date'
  | 'timestamp'
  | 'timestamptz'
  | 'string'
  | 'binary';

export interface NestedField {
  readonly id: number;
  readonly name: string;
  readonly required: boolean;
  readonly type: PrimitiveType;
  readonly doc?: string;
}

export interface Schema {
  readonly type: 'struct';
  readonly 'schema-id': number;
  readonly fields: readonly NestedField[];
}

export interface PartitionField {
  readonly 'source-id': number;
  readonly 'field-id': number;
  readonly name: string;
  readonly transform: string;
}

export interface PartitionSpec {
  readonly 'spec-id': number;
  readonly fields: readonly PartitionField[];
}

export interface Snapshot {
  readonly 'snapshot-id': bigint;
  readonly 'parent-snapshot-id'?: bigint;
  readonly 'sequence-number': bigint;
  readonly 'timestamp-ms': number;
  readonly 'manifest-list': string;
  readonly summary: Readonly<Record<string, string>> & { readonly operation: string };
  readonly 'schema-id'?: number;
}

export interface SnapshotRef {
  readonly 'snapshot-id': bigint;
  readonly type: 'branch' | 'tag';
}

export interface TableMetadata {
  readonly 'format-version': number;
  readonly 'table-uuid': string;
  readonly location: string;
  readonly 'last-sequence-number': bigint;
  readonly 'last-updated-ms': number;
  readonly 'last-column-id': number;
  readonly schemas: readonly Schema[];
  readonly 'current-schema-id': number;
  readonly 'partition-specs': readonly PartitionSpec[];
  readonly 'default-spec-id': number;
  readonly 'last-partition-id': number;
  readonly properties?: Readonly<Record<string, string>>;
  readonly 'current-snapshot-id'?: bigint | null;
  readonly snapshots?: readonly Snapshot[];
  readonly refs?: Readonly<Record<string, SnapshotRef>>;
}

export interface LoadedTable {
  readonly metadataLocation: string;
  readonly metadata: TableMetadata;
  /** Table-level client config the catalog returned (e.g. FileIO settings). */
  readonly config: Readonly<Record<string, string>>;
}

export type TableRequirement =
  | { readonly type: 'assert-create' }
  | { readonly type: 'assert-table-uuid'; readonly uuid: string }
  | {
      readonly type: 'assert-ref-snapshot-id';
      readonly ref: string;
      /** null: the ref must not exist (the table's first snapshot). */
      readonly 'snapshot-id': bigint | null;
    }
  | { readonly type: 'assert-current-schema-id'; readonly 'current-schema-id': number }
  | { readonly type: 'assert-default-spec-id'; readonly 'default-spec-id': number };

export type TableUpdate =
  | { readonly action: 'add-snapshot'; readonly snapshot: Snapshot }
  | {
      readonly action: 'set-snapshot-ref';
      readonly 'ref-name': string;
      readonly type: 'branch' | 'tag';
      readonly 'snapshot-id': bigint;
    }
  | { readonly action: 'set-properties'; readonly updates: Readonly<Record<string, string>> }
  | { readonly action: 'remove-snapshots'; readonly 'snapshot-ids': readonly bigint[] };

export interface CommitTableRequest {
  readonly requirements: readonly TableRequirement[];
  readonly updates: readonly TableUpdate[];
}

export interface CreateTableRequest {
  readonly name: string;
  readonly location?: string;
  readonly schema: Schema;
  readonly 'partition-spec'?: PartitionSpec;
  readonly 'write-order'?: { readonly 'order-id': number; readonly fields: readonly unknown[] };
  readonly properties?: Readonly<Record<string, string>>;
}

/** The snapshot `main` points at, or null for a table without one (`-1` is Java's null). */
export function currentSnapshot(metadata: TableMetadata, ref = 'main'): Snapshot | null {
  const fallback = ref === 'main' ? (metadata['current-snapshot-id'] ?? null) : null;
  const id = metadata.refs?.[ref]?.['snapshot-id'] ?? fallback;
  if (id === null || id === -1n) return null;
  const snapshot = metadata.snapshots?.find((s) => s['snapshot-id'] === id);
  return snapshot ?? null;
}

/** The snapshots of `main`, newest first, as far back as the metadata still holds them. */
export function mainAncestry(metadata: TableMetadata): Snapshot[] {
  const byId = new Map((metadata.snapshots ?? []).map((s) => [s['snapshot-id'], s]));
  const out: Snapshot[] = [];
  for (let s = currentSnapshot(metadata); s;) {
    out.push(s);
    const parent = s['parent-snapshot-id'];
    s = parent === undefined ? null : (byId.get(parent) ?? null);
  }
  return out;
}
