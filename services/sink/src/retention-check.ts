import type { TopicRetention } from '@loglake/kafka';

/** What the sink needs the topic to keep. */
export interface ReplayNeeds {
  /** How long a record may wait in an open range before it is cut (`SINK_FLUSH_MAX_AGE_MS`). */
  readonly flushMaxAgeMs: number;
  /**
   * How long the sink or the lake may be down, or the sink lag behind, before records must still be
   * there to be read (`SINK_REPLAY_ALLOWANCE_MS`).
   */
  readonly replayAllowanceMs: number;
}

const hours = (ms: number) => `${+(ms / 3_600_000).toFixed(1)} h`;

/**
 * The sink's worst-case replay window is a record's time in an open range plus how long the sink or
 * the lake may be down: a record older than the topic's retention when it is (re)read is gone, and a
 * recorded range whose records are gone is a loss. Returns one warning per way the topic can drop
 * records the sink has not written yet.
 */
export function retentionWarnings(topic: string, r: TopicRetention, needs: ReplayNeeds): string[] {
  const out: string[] = [];
  const window = needs.flushMaxAgeMs + needs.replayAllowanceMs;
  if (r.retentionMs !== null && r.retentionMs < window) {
    out.push(
      `topic ${topic} keeps records ${hours(r.retentionMs)} (retention.ms from the ${r.source} settings), less than ` +
        `the sink's worst-case replay window of ${hours(window)} (SINK_FLUSH_MAX_AGE_MS + SINK_REPLAY_ALLOWANCE_MS): ` +
        'records not yet in the lake when the sink or S3 is down that long are lost (recorded under _loglake/losses/)',
    );
  }
  if (r.retentionBytes !== null) {
    out.push(
      `topic ${topic} deletes by size (retention.bytes ${r.retentionBytes} per partition): under lag, records may be ` +
        'deleted before the sink reads them, however young',
    );
  }
  if (r.cleanupPolicy.split(',').includes('compact')) {
    out.push(
      `topic ${topic} is compacted (cleanup.policy ${r.cleanupPolicy}): records replaced by a later one with the same key ` +
        'disappear, so replays of recorded ranges find fewer rows and record them as lost',
    );
  }
  return out;
}
