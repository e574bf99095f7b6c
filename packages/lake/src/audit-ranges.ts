/** Offset ranges as the lake auditor handles them: one partition's `first..last`, named by a key. */

/** A key naming offsets `first..last` of one partition: a record's or an object's. */
export interface KeyedRange {
  readonly key: string;
  readonly partition: number;
  readonly first: bigint;
  readonly last: bigint;
}

export const compare = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);

/** `first..last`, for a finding's detail. */
export const span = (r: { first: bigint; last: bigint }) => `${r.first}..${r.last}`;

/** A finding's offsets. */
export const offsets = (first: bigint, last: bigint) => ({
  first: first.toString(),
  last: last.toString(),
});
