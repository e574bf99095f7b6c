/** Consumer lag of the sink's group, sampled from Kafka, and the rule that calls it bounded. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { KafkaAdmin } from '@loglake/kafka';
import { round } from './proc-stats.ts';

/** Records in the topic not yet committed by the group (a partition without a commit counts from its start). */
export async function groupLag(admin: KafkaAdmin, topic: string, groupId: string): Promise<number> {
  const [ends, committed] = await Promise.all([
    admin.topicOffsets(topic),
    admin.committedOffsets(groupId, topic),
  ]);
  const done = new Map(committed.map((c) => [c.partition, Number(c.offset)]));
  return ends.reduce((n, p) => {
    const c = done.get(p.partition) ?? -1;
    return n + Number(p.high) - (c < 0 ? Number(p.low) : c);
  }, 0);
}

export interface LagSample {
  /** Seconds since the sampler started. */
  readonly t: number;
  readonly lag: number;
}

/** Samples the lag about once a second until stopped. */
export function sampleLag(
  admin: KafkaAdmin,
  topic: string,
  groupId: string,
): { samples: LagSample[]; elapsed(): number; stop(): Promise<void> } {
  const samples: LagSample[] = [];
  const t0 = performance.now();
  let stopping = false;
  const loop = (async () => {
    while (!stopping) {
      const started = performance.now();
      try {
        const lag = await groupLag(admin, topic, groupId);
        samples.push({ t: round((started - t0) / 1000, 1), lag });
      } catch {
        // a missed sample; the next one comes a second later
      }
      await sleep(Math.max(0, 1000 - (performance.now() - started)));
    }
  })();
  return {
    samples,
    elapsed: () => (performance.now() - t0) / 1000,
    async stop() {
      stopping = true;
      await loop;
    },
  };
}

/** Polls the lag every 250 ms; seconds until it was 0, or null after `limitS`. */
export async function waitForZeroLag(
  admin: KafkaAdmin,
  topic: string,
  groupId: string,
  limitS: number,
): Promise<number | null> {
  const t0 = performance.now();
  while (performance.now() - t0 < limitS * 1000) {
    if ((await groupLag(admin, topic, groupId).catch(() => -1)) === 0) {
      return round((performance.now() - t0) / 1000, 1);
    }
    await sleep(250);
  }
  return null;
}

export const LAG_RULE =
  'bounded = (1) the highest lag sampled in the last quarter of the send window is at most the highest ' +
  'lag in the third quarter plus one second of the target rate, i.e. the lag did not grow over the ' +
  'last half of the run beyond flush-cycle noise, and (2) after the last send the lag reached 0 within ' +
  'the flush age plus 20 s. The lag is the sum over partitions of log end offset minus committed ' +
  'offset, sampled once a second; the sink commits only after a Parquet object is durable, so it ' +
  'rises and falls with each flush (a sawtooth of about flush age times rate).';

export interface LagVerdict {
  readonly max: number;
  readonly q3_peak: number;
  readonly q4_peak: number;
  readonly bounded: boolean;
}

/** Applies LAG_RULE to the samples; the send window is [from, to] in the samples' time. */
export function judgeLag(options: {
  readonly samples: readonly LagSample[];
  readonly from: number;
  readonly to: number;
  readonly rate: number;
  readonly zeroAfterS: number | null;
  readonly flushAgeS: number;
}): LagVerdict {
  const { samples, from, to } = options;
  const w = to - from;
  const peak = (a: number, b: number) =>
    samples.filter((s) => s.t >= a && s.t < b).reduce((m, s) => Math.max(m, s.lag), 0);
  const q3 = peak(from + w / 2, from + (w * 3) / 4);
  const q4 = peak(from + (w * 3) / 4, to + 0.5);
  const drained = options.zeroAfterS !== null && options.zeroAfterS <= options.flushAgeS + 20;
  return {
    max: samples.reduce((m, s) => Math.max(m, s.lag), 0),
    q3_peak: q3,
    q4_peak: q4,
    bounded: drained && q4 <= q3 + options.rate,
  };
}
