/**
 * What the lake auditor reports (`auditLake`, `pnpm lake:check`): findings of a closed list of
 * kinds, a summary per partition, and totals. Plain JSON: offsets are decimal strings, no bigints.
 */

export const AUDIT_FINDING_KINDS = [
  /** An intent or loss record that cannot be read, or that contradicts its key or itself. */
  'invalid_record',
  /** Offsets between two recorded ranges that no intent and no loss record covers. */
  'gap',
  /** Two recorded ranges (intents, or loss records of gaps), or the names of two objects, covering the same offsets. */
  'overlap',
  /** The group committed offsets that no intent records. */
  'committed_beyond_chain',
  /** The committed offset is neither the start of the chain nor the end of an intent's range. */
  'committed_off_boundary',
  /** An object of a committed range is not in the store. */
  'missing_object',
  /**
   * Rows the lake lacks, as a loss record says: objects a replay could not write (records gone from
   * Kafka, or read differently), or offsets no range holds (deleted unread, or skipped by a reset).
   */
  'recorded_loss',
  /** An object's Parquet footer disagrees with its intent's row count. */
  'row_count_mismatch',
  /** An object whose Parquet footer cannot be read. */
  'unreadable_object',
  /** A `.parquet` object under the topic that no intent names. */
  'orphan_object',
  /** An intent names an object whose name says another topic, partition or range. */
  'name_mismatch',
] as const;

export type AuditFindingKind = (typeof AUDIT_FINDING_KINDS)[number];

export interface AuditFinding {
  readonly kind: AuditFindingKind;
  /** Null when the key that was wrong does not say. */
  readonly partition: number | null;
  readonly first?: string;
  readonly last?: string;
  readonly key?: string;
  /** Rows concerned: lost (`recorded_loss`, `missing_object`) or found (`row_count_mismatch`). */
  readonly rows?: number;
  readonly detail: string;
}

export interface PartitionAudit {
  readonly partition: number;
  readonly intents: number;
  /** First offset of the chain (intents, and loss records of gaps), or null without any. */
  readonly first: string | null;
  /** `last + 1` of the chain's furthest range, or null without any. */
  readonly head: string | null;
  /** Null when unknown or nothing was committed. */
  readonly committed: string | null;
  /** Objects named by this partition's intents that are in the store. */
  readonly objects: number;
  /** Rows those objects hold, as their intents record them. */
  readonly rows: number;
  readonly dead_letters: number;
  /** Intents at or beyond the committed offset: in flight, not checked for missing objects. */
  readonly pending: number;
  /** Objects of pending intents not (yet) in the store. */
  readonly pending_objects: number;
  readonly lost_rows: number;
}

export interface AuditReport {
  readonly topic: string;
  readonly partitions: readonly PartitionAudit[];
  readonly findings: readonly AuditFinding[];
  readonly ok: boolean;
  readonly totals: {
    readonly partitions: number;
    readonly intents: number;
    /** Every `.parquet` object under the topic, orphans included. */
    readonly objects: number;
    readonly rows: number;
    readonly dead_letters: number;
    readonly pending: number;
    readonly pending_objects: number;
    readonly lost_rows: number;
    /** Objects whose Parquet footer was read. */
    readonly objects_read: number;
    readonly findings: number;
  };
}
