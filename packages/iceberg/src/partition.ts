import { FIELD_IDS } from './schema.ts';
import type { PartitionSpec } from './types.ts';

/** Partition field ids start at 1000 (spec convention); `last-partition-id` follows them. */
export const TS_HOUR_FIELD_ID = 1000;

/**
 * `hour(ts)`: one partition per hour of event time, the grain of today's `dt=/hour=` folders and
 * of the sink's flushes. Iceberg's partitioning is hidden, so readers prune with plain predicates on
 * `ts` (`WHERE ts >= …`) at day or hour grain alike; a `day(ts)` + identity-hour pair would only
 * duplicate what `hour(ts)` already answers.
 */
export function hourSpec(specId = 0): PartitionSpec {
  const source = FIELD_IDS.ts;
  if (source === undefined) throw new Error('no field id for ts');
  return {
    'spec-id': specId,
    fields: [
      { 'source-id': source, 'field-id': TS_HOUR_FIELD_ID, name: 'ts_hour', transform: 'hour' },
    ],
  };
}

const MS_PER_HOUR = 3_600_000;

/** The `hour` transform of a timestamp in epoch milliseconds: whole hours since 1970, floored. */
export function hourOf(epochMs: number): number {
  return Math.floor(epochMs / MS_PER_HOUR);
}
