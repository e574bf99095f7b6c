/**
 * The sink's fastest check: one regular expression, generated from the field table, that matches a
 * stored event in the gateway's own form (no whitespace, strings without escapes, numbers short
 * enough to be in range, `extra` flat) — V8 runs it as native code over the record's bytes. A
 * record it matches is one `checkStoredEvent` stores unchanged. Anything else does not match, and
 * the caller tries the general scan (stored-scan.ts).
 */
import { FIELD_TYPES, STRING_LITERAL } from './field-types.ts';
import { EXTRA_FIELD, FIELDS } from './fields.ts';
import { STORED_REQUIRED_FIELDS } from './stored.ts';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Any JSON number (inside extra, where values are not checked). */
const NUMBER = '-?(?:0|[1-9]\\d*)(?:\\.\\d+)?(?:[eE][+-]?\\d+)?';

/** Keys the sink reads by position: never inside extra, so a plain search finds the top-level one. */
const READ = STORED_REQUIRED_FIELDS.map(escape).join('|');
const FLAT_KEY = `"(?!(?:${READ})")[^"\\\\\\x00-\\x1f]*"`;
const FLAT = `${FLAT_KEY}:(?:${STRING_LITERAL}|${NUMBER}|true|false|null)`;
const EXTRA = `"${escape(EXTRA_FIELD)}":(?:null|\\{(?:${FLAT}(?:,${FLAT})*)?\\})`;
const MEMBER = `(?:${[...FIELDS.map((f) => `"${escape(f.name)}":(?:${FIELD_TYPES[f.type].storedLiteral(f)}|null)`), EXTRA].join('|')})`;
const RECORD = new RegExp(`^\\{${MEMBER}(?:,${MEMBER})*\\}$`);

export interface PatternEvent {
  readonly eventId: string;
  readonly ts: number;
  readonly receivedAt: number;
}

const QUOTE = 0x22;
const [EVENT_ID, EVENT_TYPE, TS, RECEIVED_AT] = ['event_id', 'event_type', 'ts', 'received_at'].map(
  (k) => Buffer.from(k, 'latin1'),
) as [Buffer, Buffer, Buffer, Buffer];

/**
 * `text` is the record's bytes as a one-byte string (character i = byte i), `ascii` whether they
 * are all ASCII (else valid UTF-8, checked by the caller). The required fields must be there once
 * and not null; the rest was proven by the pattern.
 */
export function matchStoredEvent(value: Buffer, text: string, ascii: boolean): PatternEvent | null {
  if (!RECORD.test(text)) return null;
  // The pattern proved the shape: walk the top-level members byte by byte (fastest in V8), no
  // escapes anywhere, extra flat. Note where the four read fields' values are.
  const b = value;
  let id = -1;
  let type = -1;
  let ts = -1;
  let received = -1;
  let p = 1;
  for (;;) {
    const keyStart = p + 1;
    let keyEnd = keyStart;
    while (b[keyEnd] !== QUOTE) keyEnd += 1;
    p = keyEnd + 2; // past '":'
    const at = p;
    const c = b[p];
    if (c === QUOTE) {
      p += 1;
      while (b[p] !== QUOTE) p += 1;
      p += 1;
    } else if (c === 0x7b) {
      // extra: a flat object; its strings may hold braces and commas.
      p += 1;
      for (let d = b[p]; d !== 0x7d; d = b[p]) {
        if (d === QUOTE) {
          p += 1;
          while (b[p] !== QUOTE) p += 1;
        }
        p += 1;
      }
      p += 1;
    } else {
      while (b[p] !== 0x2c && b[p] !== 0x7d) p += 1;
    }
    const length = keyEnd - keyStart;
    if (length === 2 && isKey(b, keyStart, TS)) {
      if (ts >= 0) return null;
      ts = at;
    } else if (length === 8 && isKey(b, keyStart, EVENT_ID)) {
      if (id >= 0) return null;
      id = at;
    } else if (length === 10 && isKey(b, keyStart, EVENT_TYPE)) {
      if (type >= 0) return null;
      type = at;
    } else if (length === 11 && isKey(b, keyStart, RECEIVED_AT)) {
      if (received >= 0) return null;
      received = at;
    }
    if (b[p] === 0x7d) break;
    p += 1; // ','
  }
  // Required, and not null (a null value starts with 'n').
  if (id < 0 || b[id] !== QUOTE || type < 0 || b[type] !== QUOTE) return null;
  const tsValue = integerAt(b, ts);
  const receivedAt = integerAt(b, received);
  if (tsValue === null || receivedAt === null) return null;
  let end = id + 1;
  while (b[end] !== QUOTE) end += 1;
  const eventId = ascii ? text.slice(id + 1, end) : b.toString('utf8', id + 1, end);
  return { eventId, ts: tsValue, receivedAt };
}

function isKey(b: Buffer, at: number, key: Buffer): boolean {
  for (let i = 0; i < key.length; i += 1) if (b[at + i] !== key[i]) return false;
  return true;
}

/** The integer literal at `at` (the pattern made sure it is one, or null), or null. */
function integerAt(b: Buffer, at: number): number | null {
  if (at < 0) return null;
  let p = at;
  const negative = b[p] === 0x2d;
  if (negative) p += 1;
  let n = 0;
  let digits = 0;
  for (let c = b[p] as number; c >= 0x30 && c <= 0x39; c = b[++p] as number) {
    n = n * 10 + (c - 0x30);
    digits += 1;
  }
  if (digits === 0) return null; // null
  return negative ? -n : n;
}
