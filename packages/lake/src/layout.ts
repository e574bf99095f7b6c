/**
 * Where things go in the lake. Data objects are Hive-partitioned by event time (UTC):
 *   <topic>/dt=YYYY-MM-DD/hour=HH/<topic>-p<partition>-<first offset>-<last offset>.parquet
 * and each flush's cut is recorded first as an intent:
 *   _loglake/intents/<topic>/p<partition>/<first offset>.json
 * Offsets are zero-padded to 20 digits so that names sort in offset order.
 */
const pad = (offset: bigint) => offset.toString().padStart(20, '0');

/** `dt=YYYY-MM-DD/hour=HH` of an event time in epoch milliseconds, in UTC. */
export function bucketOf(tsMs: number): string {
  const d = new Date(tsMs);
  if (Number.isNaN(d.getTime())) return 'dt=1970-01-01/hour=00';
  const y = d.getUTCFullYear().toString().padStart(4, '0');
  const m = (d.getUTCMonth() + 1).toString().padStart(2, '0');
  const day = d.getUTCDate().toString().padStart(2, '0');
  const h = d.getUTCHours().toString().padStart(2, '0');
  return `dt=${y}-${m}-${day}/hour=${h}`;
}

export function dataKey(
  topic: string,
  partition: number,
  first: bigint,
  last: bigint,
  bucket: string,
): string {
  return `${topic}/${bucket}/${topic}-p${partition}-${pad(first)}-${pad(last)}.parquet`;
}

export function intentKey(topic: string, partition: number, first: bigint): string {
  return `${intentPrefix(topic, partition)}${pad(first)}.json`;
}

export function intentPrefix(topic: string, partition: number): string {
  return `_loglake/intents/${topic}/p${partition}/`;
}

/** Where a replay records that rows of an intent's range could not be written (they were gone from Kafka). */
export function lossKey(topic: string, partition: number, first: bigint): string {
  return `_loglake/losses/${topic}/p${partition}/${pad(first)}.json`;
}

/** The offset an intent or loss key names, or null for another key. */
export function offsetOfKey(key: string): bigint | null {
  const m = /\/(\d{20})\.json$/.exec(key);
  return m?.[1] ? BigInt(m[1]) : null;
}
