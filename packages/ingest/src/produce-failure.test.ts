import { describe, expect, it } from 'vitest';
import { createLogger, createRegistry } from '@loglake/core';
import type { KafkaMessage, KafkaProducer, ProducerRecord } from '@loglake/kafka';
import { ProduceBatcher } from './batcher.ts';
import { isGatewayHttpError } from './http-errors.ts';
import { Ingestor } from './ingestor.ts';
import { createGatewayMetrics } from './metrics.ts';
import { ProducerSlot } from './producer-slot.ts';
import { MemoryProducer, TEST_OPTIONS } from './testing.ts';

/**
 * One partition with Kafka's idempotence rules, and producers that number their batches as
 * kafkajs does: a producer's sequence advances when it sends a batch and is rolled back when the
 * send fails. The log appends a batch whose first sequence follows its producer's last batch,
 * answers a batch with the same sequence range as that last batch as a duplicate (acknowledged,
 * nothing appended), and refuses any other with OUT_OF_ORDER_SEQUENCE_NUMBER.
 */
class IdempotentLog {
  readonly values: string[] = [];
  readonly sends: number[] = [];
  /** The next batch is written, but its answer is lost: the producer sees a failure. */
  loseNextAnswer = false;
  private readonly lastBatch = new Map<number, { first: number; last: number }>();

  producer(): KafkaProducer {
    const producerId = this.sends.push(0) - 1;
    let next = 0;
    return {
      connect: async () => undefined,
      disconnect: async () => undefined,
      send: async (_topic, records) => {
        this.sends[producerId] = (this.sends[producerId] ?? 0) + 1;
        const first = next;
        next += records.length;
        try {
          this.append(producerId, first, records);
        } catch (error) {
          next -= records.length;
          throw error;
        }
        return [{ partition: 0, baseOffset: '0' }];
      },
    };
  }

  eventIds(): string[] {
    return this.values.map((v) => String(JSON.parse(v).event_id));
  }

  private append(
    producerId: number,
    first: number,
    records: readonly (ProducerRecord | KafkaMessage)[],
  ): void {
    const last = first + records.length - 1;
    const previous = this.lastBatch.get(producerId);
    if (previous?.first === first && previous.last === last) return; // a retry of a stored batch
    if (first !== (previous ? previous.last + 1 : 0))
      throw new Error('OUT_OF_ORDER_SEQUENCE_NUMBER');
    this.values.push(...records.map((r) => String(r.value)));
    this.lastBatch.set(producerId, { first, last });
    if (this.loseNextAnswer) {
      this.loseNextAnswer = false;
      throw new Error('The request timed out');
    }
  }
}

function ingestorOver(log: IdempotentLog): Ingestor {
  return new Ingestor(
    { ...TEST_OPTIONS, maxInFlightBatches: 1, healthProbeIntervalMs: 5 },
    {
      createProducer: () => log.producer(),
      createDlqProducer: () => new MemoryProducer(),
      probeKafka: async () => undefined,
      metrics: createGatewayMetrics(createRegistry()),
      logger: createLogger({ name: 'produce-failure-test', level: 'silent' }),
    },
  );
}

/** POSTs events with these ids; resolves with the HTTP status the gateway would answer. */
async function post(ingestor: Ingestor, ids: readonly string[]): Promise<number> {
  const raw = Buffer.from(JSON.stringify(ids.map((id) => ({ event_type: 'a', event_id: id }))));
  try {
    await ingestor.handle({
      raw,
      contentType: 'application/json',
      contentEncoding: undefined,
      apiKey: 'key-web',
    });
    return 200;
  } catch (error) {
    if (isGatewayHttpError(error)) return error.statusCode;
    throw error;
  }
}

describe('after a produce call fails', () => {
  it('answers 200 only for events in the log, also when the failed call was written after all', async () => {
    const log = new IdempotentLog();
    const ingestor = ingestorOver(log);
    await ingestor.connect();
    log.loseNextAnswer = true;
    expect(await post(ingestor, ['a1', 'a2', 'a3'])).toBe(503); // written, never acknowledged
    await expect.poll(() => ingestor.ready).toBe(true); // the probe finds Kafka up again
    const answers = [
      { ids: ['b1', 'b2', 'b3'], status: await post(ingestor, ['b1', 'b2', 'b3']) },
      { ids: ['c1', 'c2'], status: await post(ingestor, ['c1', 'c2']) },
    ];
    const acknowledged = answers.filter((a) => a.status === 200).flatMap((a) => a.ids);
    expect(acknowledged.filter((id) => !log.eventIds().includes(id))).toEqual([]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(log.eventIds()).toEqual(['a1', 'a2', 'a3', 'b1', 'b2', 'b3', 'c1', 'c2']);
    // The producer whose send failed sent nothing more; a new one took over.
    expect(log.sends).toEqual([1, 2]);
    await ingestor.close();
  });

  it('fails the batches waiting behind it unsent, and sends the next one on a new producer', async () => {
    interface Made {
      sent: string[][];
      disconnected: boolean;
      fail: () => void;
    }
    const made: Made[] = [];
    const slot = new ProducerSlot(() => {
      const p: Made = { sent: [], disconnected: false, fail: () => undefined };
      const held = new Promise<void>((_, reject) => {
        p.fail = () => reject(new Error('leader gone'));
      });
      made.push(p);
      const first = made.length === 1;
      return {
        connect: async () => undefined,
        disconnect: async () => {
          p.disconnected = true;
        },
        send: async (_topic, records) => {
          p.sent.push(records.map((r) => String(r.value)));
          if (first) await held;
          return [];
        },
      };
    });
    const batcher = new ProduceBatcher(slot, {
      topic: 't',
      lingerMs: 0,
      maxBatchBytes: 1,
      maxInFlight: 1,
    });
    const record = (value: string) => [{ key: null, value }];
    const inFlight = batcher.send(record('1'), 1);
    const waiting = [batcher.send(record('2'), 1), batcher.send(record('3'), 1)];
    await expect.poll(() => made[0]?.sent.length).toBe(1);
    made[0]?.fail();
    await expect(inFlight).rejects.toThrow('leader gone');
    for (const w of waiting) await expect(w).rejects.toThrow('leader gone');
    expect(made[0]?.sent).toEqual([['1']]);
    await batcher.send(record('4'), 1);
    expect(made.map((p) => p.sent)).toEqual([[['1']], [['4']]]);
    expect(made[0]?.disconnected).toBe(true);
  });

  it('never hands out a producer retired while it was connecting', async () => {
    let release = () => undefined as void;
    const made: KafkaProducer[] = [];
    const slot = new ProducerSlot(() => {
      const first = made.length === 0;
      const p: KafkaProducer = {
        connect: () =>
          first ? new Promise<void>((resolve) => (release = resolve)) : Promise.resolve(),
        disconnect: async () => undefined,
        send: async () => [],
      };
      made.push(p);
      return p;
    });
    const connecting = slot.connect();
    slot.retire(made[0] as KafkaProducer, new Error('its send failed'));
    release();
    expect(await connecting).toBe(made[1]);
  });
});
