import { describe, expect, it } from 'vitest';
import { createProfile, EVENT_TIME_WINDOW, uuidv1 } from './profiles.ts';

const clock = () => 1_795_000_000_000;
const take = (seed: number, n: number, profile: 'tracking' | 'weblog' | 'mix' = 'mix') => {
  const p = createProfile(profile, { seed, runId: 'r', now: clock });
  return Array.from({ length: n }, () => p.next());
};

describe('profiles', () => {
  it('same seed, same events; another seed, other events', () => {
    expect(take(42, 500)).toEqual(take(42, 500));
    expect(take(43, 50)).not.toEqual(take(42, 50));
  });

  it('carries the run id and a sequence number', () => {
    expect(take(1, 3).map((e) => [e.run_id, e.seq])).toEqual([
      ['r', 1],
      ['r', 2],
      ['r', 3],
    ]);
  });

  it('tracking events look like faking_data.py: funnel steps weighted towards clicks, hot campaigns', () => {
    const events = take(7, 5000, 'tracking');
    const clicks = events.filter((e) => e.custom_track === 'click').length / events.length;
    expect(clicks).toBeGreaterThan(0.65);
    expect(clicks).toBeLessThan(0.75);
    const hot = events.filter((e) => (e.campaign_id as number) <= 50).length / events.length;
    expect(hot).toBeGreaterThan(0.3); // 10% of campaigns take far more than 10% of events
    expect(
      events.every((e) =>
        /^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(
          String(e.create_time),
        ),
      ),
    ).toBe(true);
  });

  it('event times trail the clock, with about 1% late by a minute or more', () => {
    const events = take(9, 10_000);
    const late = events.filter((e) => clock() - (e.ts as number) >= 60_000).length / events.length;
    expect(late).toBeGreaterThan(0.005);
    expect(late).toBeLessThan(0.02);
    expect(events.every((e) => (e.ts as number) <= clock())).toBe(true);
  });

  it('keeps every event time inside EVENT_TIME_WINDOW around its generation, the late ones reaching hours back', () => {
    const lateness = take(11, 20_000).map((e) => clock() - (e.ts as number));
    expect(Math.min(...lateness)).toBeGreaterThanOrEqual(-EVENT_TIME_WINDOW.futureMs);
    expect(Math.max(...lateness)).toBeLessThanOrEqual(EVENT_TIME_WINDOW.pastMs);
    // The window is not wider than it needs to be: the latest events come within an hour of its edge.
    expect(Math.max(...lateness)).toBeGreaterThan(EVENT_TIME_WINDOW.pastMs - 3_600_000);
  });

  it('uuidv1 encodes the time', () => {
    const id = uuidv1(Date.UTC(2026, 0, 1), () => 0);
    const hex = id.replaceAll('-', '');
    const t =
      (BigInt(`0x${hex.slice(13, 16)}`) << 48n) |
      (BigInt(`0x${hex.slice(8, 12)}`) << 32n) |
      BigInt(`0x${hex.slice(0, 8)}`);
    expect(Number((t - 0x01b21dd213814000n) / 10_000n)).toBe(Date.UTC(2026, 0, 1));
  });
});
