import { describe, expect, it } from 'vitest';
import { DEFAULT_EVENT_LIMITS } from './limits.ts';
import { validateEvent, type ValidationContext } from './validate.ts';

const receivedAt = Date.UTC(2026, 10, 26, 12, 0, 0);
const ctx: ValidationContext = {
  receivedAt,
  source: 'web',
  allowBodySource: false,
  limits: DEFAULT_EVENT_LIMITS,
};

function ok(input: unknown, c: ValidationContext = ctx) {
  const r = validateEvent(input, c);
  if (!r.ok) throw new Error(`rejected: ${r.reject.code} ${r.reject.message}`);
  return { ...r, value: JSON.parse(r.json) as Record<string, unknown> };
}
function rejected(input: unknown, c: ValidationContext = ctx) {
  const r = validateEvent(input, c);
  if (r.ok) throw new Error('accepted');
  return r.reject;
}

describe('validateEvent', () => {
  it('fills in event_id (UUIDv7), ts, received_at and source', () => {
    const e = ok({ event_type: 'click' });
    expect(e.value.event_id).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(e.value).toMatchObject({
      event_type: 'click',
      ts: receivedAt,
      received_at: receivedAt,
      source: 'web',
    });
    expect(e.eventId).toBe(e.value.event_id);
  });

  it('keeps a client event_id and reads ts as RFC 3339 or epoch ms', () => {
    expect(
      ok({ event_type: 'a', event_id: 'abc', ts: '2026-11-26T11:30:00.250+01:00' }).value,
    ).toMatchObject({
      event_id: 'abc',
      ts: Date.UTC(2026, 10, 26, 10, 30, 0, 250),
    });
    expect(ok({ event_type: 'a', ts: receivedAt - 1000 }).ts).toBe(receivedAt - 1000);
  });

  it('types the tracking fields of faking_data.py', () => {
    const e = ok({
      event_type: 'tracking',
      create_time: '5f4c1e70-cb1c-11f0-8de9-0242ac120002',
      bid: 1,
      campaign_id: 12,
      company_id: '7',
      publisher_id: 3,
      group_id: 4,
      job_id: 5,
      custom_track: 'conversion',
    });
    expect(e.value).toMatchObject({
      bid: 1,
      campaign_id: 12,
      company_id: 7,
      custom_track: 'conversion',
    });
  });

  it('keeps unknown fields, and server fields sent by the client, in extra', () => {
    const e = ok({
      event_type: 'a',
      plan: { tier: 'pro', seats: [1, 2] },
      received_at: 5,
      source: 'spoofed',
    });
    expect(e.value.extra).toEqual({
      plan: { tier: 'pro', seats: [1, 2] },
      received_at: 5,
      source: 'spoofed',
    });
    expect(e.value.received_at).toBe(receivedAt);
    expect(e.value.source).toBe('web');
  });

  it('lets the body choose the source where allowed', () => {
    expect(
      ok({ event_type: 'a', source: 'ios' }, { ...ctx, allowBodySource: true }).value.source,
    ).toBe('ios');
  });

  it('treats null as absent for declared fields', () => {
    expect(ok({ event_type: 'a', user_id: null }).value).not.toHaveProperty('user_id');
  });

  it.each([
    { input: [1], code: 'EVENT_NOT_OBJECT', field: undefined },
    { input: 'x', code: 'EVENT_NOT_OBJECT', field: undefined },
    { input: {}, code: 'FIELD_REQUIRED', field: 'event_type' },
    { input: { event_type: 5 }, code: 'FIELD_TYPE', field: 'event_type' },
    { input: { event_type: 'a', bid: '1' }, code: 'FIELD_TYPE', field: 'bid' },
    { input: { event_type: 'a', campaign_id: 1.5 }, code: 'FIELD_TYPE', field: 'campaign_id' },
    { input: { event_type: 'a', campaign_id: 2 ** 60 }, code: 'FIELD_TYPE', field: 'campaign_id' },
    { input: { event_type: 'a', status: 1000 }, code: 'FIELD_OUT_OF_RANGE', field: 'status' },
    { input: { event_type: 'a', bid: -1 }, code: 'FIELD_OUT_OF_RANGE', field: 'bid' },
    {
      input: { event_type: 'a', custom_track: 'view' },
      code: 'FIELD_VALUE_NOT_ALLOWED',
      field: 'custom_track',
    },
    { input: { event_type: 'a', ts: 'yesterday' }, code: 'FIELD_TYPE', field: 'ts' },
    { input: { event_type: 'a', ts: '2026-13-01T00:00:00Z' }, code: 'FIELD_TYPE', field: 'ts' },
    {
      input: { event_type: 'a', ts: receivedAt - 8 * 24 * 3600 * 1000 },
      code: 'TS_OUT_OF_WINDOW',
      field: 'ts',
    },
    {
      input: { event_type: 'a', ts: receivedAt + 6 * 60 * 1000 },
      code: 'TS_OUT_OF_WINDOW',
      field: 'ts',
    },
    { input: { event_type: 'a'.repeat(129) }, code: 'FIELD_TOO_LONG', field: 'event_type' },
    {
      input: { event_type: 'a', message: 'x\ud800y' },
      code: 'STRING_NOT_WELL_FORMED',
      field: 'message',
    },
    { input: { event_type: 'a', note: '\udc00' }, code: 'STRING_NOT_WELL_FORMED', field: 'note' },
    {
      input: { event_type: 'a', deep: { a: { b: { c: { d: { e: { f: { g: { h: 1 } } } } } } } } },
      code: 'EVENT_TOO_DEEP',
      field: 'deep.a.b.c.d.e.f.g',
    },
    {
      input: { event_type: 'a', blob: 'x'.repeat(16 * 1024 + 1) },
      code: 'FIELD_TOO_LONG',
      field: 'blob',
    },
  ])('refuses case $# with $code', ({ input, code, field }) => {
    const r = rejected(input);
    expect(r.code).toBe(code);
    expect(r.field).toBe(field);
    expect(r.message.length).toBeGreaterThan(5);
  });

  it('refuses prototype keys at any depth, and Object.prototype stays clean', () => {
    expect(rejected(JSON.parse('{"event_type":"a","__proto__":{"polluted":1}}')).code).toBe(
      'FORBIDDEN_KEY',
    );
    expect(
      rejected(JSON.parse('{"event_type":"a","x":{"constructor":{"prototype":{"p":1}}}}')).code,
    ).toBe('FORBIDDEN_KEY');
    expect(rejected(JSON.parse('{"event_type":"a","x":[{"__proto__":{"p":1}}]}')).field).toBe(
      'x[0].__proto__',
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses an event larger than the byte limit', () => {
    const limits = { ...DEFAULT_EVENT_LIMITS, maxEventBytes: 1000 };
    expect(rejected({ event_type: 'a', message: 'é'.repeat(600) }, { ...ctx, limits }).code).toBe(
      'EVENT_TOO_LARGE',
    );
  });

  it('takes a log message as long as the event limit by default, and as long as configured', () => {
    const message = 'at f (x.ts:1:1)\n'.repeat(60_000); // 960,000 characters
    expect(ok({ event_type: 'a', message }).value).toMatchObject({ message });
    const limits = { ...DEFAULT_EVENT_LIMITS, maxMessageLength: 100 };
    expect(
      rejected({ event_type: 'a', message: 'm'.repeat(101) }, { ...ctx, limits }),
    ).toMatchObject({ code: 'FIELD_TOO_LONG', field: 'message' });
    expect(
      ok({ event_type: 'a', message: 'm'.repeat(100) }, { ...ctx, limits }).value,
    ).toMatchObject({ message: 'm'.repeat(100) });
  });

  it('keeps odd but valid Unicode exactly', () => {
    const text = 'naïve 🚀 \u0000 \u202e RTL 𝒳 é';
    expect(ok({ event_type: 'a', message: text, 'ключ 🔑': text }).value).toMatchObject({
      message: text,
      extra: { 'ключ 🔑': text },
    });
  });
});
