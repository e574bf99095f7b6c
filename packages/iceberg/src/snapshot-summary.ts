import type { DataFile } from './data-file.ts';
import type { Snapshot } from './types.ts';

/** Totals Iceberg engines keep in every snapshot summary, carried forward from the parent. */
const TOTALS = [
  ['total-data-files', 'added-data-files'],
  ['total-records', 'added-records'],
  ['total-files-size', 'added-files-size'],
] as const;

/**
 * The summary of an append: what it adds, the running totals (only when the parent has them, or
 * there is no parent: another engine's snapshot may lack them and a guess would be wrong), and the
 * extra keys (Kafka offsets, commit id).
 */
export function appendSummary(
  files: readonly DataFile[],
  parent: Snapshot | null,
  extra: Readonly<Record<string, string>>,
): Record<string, string> & { operation: 'append' } {
  const added: Record<string, bigint> = {
    'added-data-files': BigInt(files.length),
    'added-records': files.reduce((n, f) => n + f.recordCount, 0n),
    'added-files-size': files.reduce((n, f) => n + f.fileSizeInBytes, 0n),
  };
  const summary: Record<string, string> & { operation: 'append' } = {
    operation: 'append',
    'changed-partition-count': String(new Set(files.map((f) => f.tsHour)).size),
  };
  for (const [k, v] of Object.entries(added)) summary[k] = v.toString();
  for (const [total, add] of TOTALS) {
    const before = parent ? parent.summary[total] : '0';
    if (before !== undefined && /^\d+$/.test(before))
      summary[total] = (BigInt(before) + (added[add] ?? 0n)).toString();
  }
  return { ...summary, ...extra };
}
