import { describe, expect, it } from 'vitest';
import { checkStoredEvent } from './stored.ts';

const good = {
  event_id: 'e1',
  event_type: 'click',
  ts: 1_800_000_000_000,
  received_at: 1_800_000_000_100,
  source: 'web',
  campaign_id: 3,
};
const check = (v: unknown) =>
  checkStoredEvent(Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)));

describe('checkStoredEvent', () => {
  it('passes a normalized event through as it is', () => {
    const text = JSON.stringify(good);
    expect(check(good)).toEqual({
      ok: true,
      event: { eventId: good.event_id, ts: good.ts, receivedAt: good.received_at, line: text },
    });
  });

  it('moves unknown top-level fields into extra instead of dropping them', () => {
    const r = check({ ...good, extra: { a: 1 }, foreign: 'x' });
    expect(r.ok && JSON.parse(r.event.line)).toEqual({ ...good, extra: { a: 1, foreign: 'x' } });
  });

  it('keeps every record on one line', () => {
    const r = check(`{"event_id":"e","event_type":"t",\n"ts":1,"received_at":2}`);
    expect(r.ok && r.event.line.includes('\n')).toBe(false);
  });

  it.each([
    ['not json', 'INVALID_JSON_LINE'],
    ['[1,2]', 'EVENT_NOT_OBJECT'],
    [{ ...good, ts: '2026-01-01' }, 'FIELD_TYPE'],
    [{ ...good, campaign_id: 1.5 }, 'FIELD_TYPE'],
    [{ ...good, status: 2 ** 40 }, 'FIELD_TYPE'],
    [{ ...good, custom_track: 'view' }, 'FIELD_VALUE_NOT_ALLOWED'],
    [{ ...good, extra: [1] }, 'FIELD_TYPE'],
    [{ event_type: 'x', ts: 1, received_at: 1 }, 'FIELD_REQUIRED'],
    // A safe integer, but no four-digit year: it would land in dt=1970 or a folder like dt=00-3-11-27.
    [{ ...good, ts: 9007199254740991 }, 'FIELD_OUT_OF_RANGE'],
    [{ ...good, ts: -70000000000000 }, 'FIELD_OUT_OF_RANGE'],
    [{ ...good, received_at: 253402300800000 }, 'FIELD_OUT_OF_RANGE'],
  ])('refuses %j with %s', (value, code) => {
    const r = check(value);
    expect(r.ok ? 'ok' : r.reject.code).toBe(code);
  });

  it('refuses an empty record', () => {
    const r = checkStoredEvent(null);
    expect(r.ok ? 'ok' : r.reject.code).toBe('EVENT_NOT_OBJECT');
  });
});
