import { DEFAULT_EVENT_LIMITS, validateEvent } from '@loglake/events';
import type { KafkaProducer } from '@loglake/kafka';
import type { BatchSender } from './sender.ts';

/**
 * `--direct-kafka`: normalizes each event as the gateway would and produces it straight to the
 * topic (as faking_data.py did), to load the sink alone.
 */
export function createKafkaSender(
  producer: KafkaProducer,
  topic: string,
  source = 'generator',
): BatchSender {
  return {
    async send(events) {
      const now = Date.now();
      const records = [];
      let rejected = 0;
      for (const e of events) {
        const r = validateEvent(e, {
          receivedAt: now,
          source,
          allowBodySource: false,
          limits: DEFAULT_EVENT_LIMITS,
        });
        if (!r.ok) {
          rejected += 1;
          continue;
        }
        records.push({ key: r.userId ?? r.sessionId ?? null, value: r.json });
      }
      if (records.length > 0) await producer.send(topic, records);
      return { status: 200, accepted: records.length, rejected };
    },
    async close() {
      await producer.disconnect();
    },
  };
}
