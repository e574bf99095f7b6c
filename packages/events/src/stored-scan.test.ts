import { describe, expect, it } from 'vitest';
import { checkStoredEvent } from './stored.ts';
import { scanStoredEvent } from './stored-scan.ts';

const good = {
  event_type: 'tracking',
  ts: 1_800_000_000_000,
  create_time: '5f4c1e70-cb1c-11f0-8de9-0242ac120002',
  bid: 0.5,
  campaign_id: 5,
  custom_track: 'click',
  level: null,
  user_id: 'user-5',
  message: 'ünïcødé ✓ "quoted" \\ back\tslash \u2028',
  url: 'https://jobs.example.com/listing?id=12345&ref=campaign',
  status: 200,
  latency_ms: 1e-7,
  event_id: 'b-5',
  received_at: 1_800_000_000_005,
  source: 'bench',
  extra: { a: [1, -2.5e3, true, false, null, { b: '' }], 'k\u00e9y': 'v', e: {} },
};

/** The property: what the scan accepts, checkStoredEvent accepts unchanged, with the same fields. */
function agrees(value: Buffer): boolean {
  const scanned = scanStoredEvent(value);
  if (scanned === null) return false;
  const checked = checkStoredEvent(value);
  expect(checked.ok, value.toString('utf8')).toBe(true);
  if (!checked.ok) return true;
  expect(checked.event.line).toBe(value.toString('utf8'));
  expect(scanned).toEqual({
    eventId: checked.event.eventId,
    ts: checked.event.ts,
    receivedAt: checked.event.receivedAt,
  });
  return true;
}

/** A small deterministic PRNG (mulberry32), so that a failure reproduces. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  '"',
  '\\',
  '\\u',
  '\\ud800',
  '\\udc00',
  '\\u00e9',
  '\n',
  '\t',
  ' ',
  ',',
  ':',
  '{',
  '}',
  '[',
  ']',
  '0',
  '01',
  '-',
  '.',
  'e',
  '1e999',
  'null',
  'true',
  '"ts":1',
  '"extra":',
  '"foreign":1',
  '"event_id":"x"',
  '\u0000',
  '\u00ff',
  '\uFEFF',
];

describe('scanStoredEvent', () => {
  it('reads a gateway-normalized event straight from its bytes', () => {
    const value = Buffer.from(JSON.stringify(good));
    expect(agrees(value)).toBe(true);
  });

  it.each([
    ['a field the table does not know', { ...good, foreign: 1 }],
    ['a raw newline', `{"event_id":"e","event_type":"t",\n"ts":1,"received_at":2}`],
    ['an escaped lone surrogate', { ...good, message: 'a\ud800b' }],
    [
      'a required key twice',
      `{"event_id":"a","event_id":"b","event_type":"t","ts":1,"received_at":2}`,
    ],
    ['a required field null', { ...good, event_type: null }],
    ['a value of the wrong type', { ...good, status: 1.5 }],
    ['an enum value not allowed', { ...good, custom_track: 'view' }],
    ['a time outside years 1-9999', { ...good, ts: 9007199254740991 }],
    ['extra not an object', { ...good, extra: [1] }],
    ['not an object', '[1]'],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0x7d])],
  ])('leaves %s to the slow path', (_what, v) => {
    const value = Buffer.isBuffer(v)
      ? v
      : Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));
    expect(scanStoredEvent(value)).toBeNull();
  });

  const flat = { ...good, message: 'plain', extra: { a: 1, b: 'x,}{', c: null, d: true } };
  const bases = {
    'nested extra, escapes (the general scan)': JSON.stringify(good),
    'the gateway form, flat extra (the pattern)': JSON.stringify(flat),
    'no extra (the pattern)': JSON.stringify({ ...flat, extra: undefined }),
  };
  it.each(Object.entries(bases))(
    'never accepts what checkStoredEvent refuses or rewrites: 10,000 mutations of %s',
    (_what, base) => {
      const next = random(12);
      expect(agrees(Buffer.from(base))).toBe(true);
      let accepted = 0;
      for (let i = 0; i < 10_000; i += 1) {
        let text = base;
        const edits = 1 + Math.floor(next() * 3);
        for (let e = 0; e < edits; e += 1) {
          const at = Math.floor(next() * text.length);
          const cut = Math.floor(next() * 3);
          const piece = next() < 0.7 ? (PIECES[Math.floor(next() * PIECES.length)] as string) : '';
          text = text.slice(0, at) + piece + text.slice(at + cut);
        }
        if (agrees(Buffer.from(text))) accepted += 1;
      }
      // Some mutations keep the record valid (inside strings, numbers): the scan takes those.
      expect(accepted).toBeGreaterThan(500);
    },
  );

  it('agrees on numbers at the edges of their types', () => {
    const cases = [
      '0',
      '-0',
      '2147483647',
      '2147483648',
      '-2147483647',
      '9007199254740991',
      '9007199254740992',
      '1.0',
      '1e3',
      '1E+3',
      '-1e-3',
      '123456789012345',
      '1234567890123456',
      '0.1',
    ];
    for (const n of cases) {
      for (const field of ['status', 'campaign_id', 'bid', 'ts']) {
        agrees(Buffer.from(JSON.stringify(good).replace('"campaign_id":5', `"${field}":${n}`)));
        agrees(
          Buffer.from(
            JSON.stringify({ ...good, [field]: 0 }).replace(`"${field}":0`, `"${field}":${n}`),
          ),
        );
      }
    }
  });
});
