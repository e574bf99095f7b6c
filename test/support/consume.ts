import {
  createKafkaAdmin,
  createKafkaConsumer,
  type ConsumedRecord,
  type KafkaClientConfig,
} from '@loglake/kafka';
import { uniqueName } from './fixtures.ts';

export interface ConsumeAllOptions {
  /** Fail when no record arrives for this long (a progress watchdog, not a sleep). */
  readonly stallMs?: number;
  readonly groupId?: string;
  /** Commit what was read, so that tests can check committed offsets. */
  readonly commit?: boolean;
}

/**
 * Reads `topic` from the beginning up to the log end offsets it has now, through
 * loglake's own consumer, and returns every record (value as string).
 */
export async function consumeAll(
  config: KafkaClientConfig,
  topic: string,
  options: ConsumeAllOptions = {},
): Promise<(ConsumedRecord & { partition: number; text: string })[]> {
  const admin = createKafkaAdmin(config);
  await admin.connect();
  const ends = new Map((await admin.topicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
  await admin.disconnect();
  const pending = new Set([...ends].filter(([, high]) => high > 0n).map(([p]) => p));
  const records: (ConsumedRecord & { partition: number; text: string })[] = [];
  if (pending.size === 0) return records;

  const consumer = createKafkaConsumer(config, { groupId: options.groupId ?? uniqueName('read') });
  await consumer.connect();
  await consumer.subscribe(topic, { fromBeginning: true });
  const stallMs = options.stallMs ?? 30_000;
  try {
    await new Promise<void>((resolve, reject) => {
      let watchdog = setTimeout(onStall, stallMs);
      function onStall() {
        reject(
          new Error(
            `no progress for ${stallMs} ms; ${records.length} records read, partitions left: ${[...pending].join(',')}`,
          ),
        );
      }
      consumer.onCrash((error, willRestart) => {
        if (!willRestart) reject(error instanceof Error ? error : new Error(String(error)));
      });
      consumer
        .run(async (batch, controls) => {
          clearTimeout(watchdog);
          watchdog = setTimeout(onStall, stallMs);
          for (const r of batch.records) {
            records.push({
              ...r,
              partition: batch.partition,
              text: r.value?.toString('utf8') ?? '',
            });
            controls.resolveOffset(r.offset);
          }
          const last = batch.records.at(-1);
          if (last) {
            const next = (BigInt(last.offset) + 1n).toString();
            if (options.commit)
              await consumer.commit([{ topic, partition: batch.partition, offset: next }]);
            if (BigInt(next) >= (ends.get(batch.partition) ?? 0n)) pending.delete(batch.partition);
          }
          if (pending.size === 0) {
            clearTimeout(watchdog);
            resolve();
          }
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return records;
}
