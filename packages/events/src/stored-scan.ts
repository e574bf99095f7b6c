import { isAscii, isUtf8 } from 'node:buffer';
import { FIELD_TYPES } from './field-types.ts';
import { EXTRA_FIELD, FIELDS, type FieldSpec } from './fields.ts';
import { STORED_REQUIRED_FIELDS } from './stored.ts';
import { matchStoredEvent } from './stored-pattern.ts';

/** What the sink needs of a record that is stored as it is. */
export interface ScannedEvent {
  readonly eventId: string;
  readonly ts: number;
  readonly receivedAt: number;
}

/**
 * The sink's fast path, from the record's bytes without building a JavaScript object: recognises a
 * record that `checkStoredEvent` accepts *unchanged* (its line is the record itself: valid UTF-8,
 * one line, only fields of the table plus `extra`, each of its type) and reads its event id, time
 * and receive time. Anything else gives null, and the caller checks the record the slow way
 * (`checkStoredEvent`), which normalizes it or says exactly why it is refused. So this never
 * accepts what `checkStoredEvent` refuses or rewrites; when in doubt (escapes in a key, an
 * escaped surrogate, a key twice, deep nesting) it answers null.
 */
export function scanStoredEvent(value: Buffer | null): ScannedEvent | null {
  if (value === null || value.length === 0) return null;
  const ascii = isAscii(value);
  if (!ascii && !isUtf8(value)) return null;
  // The bytes as a one-byte string, character i = byte i: V8 scans these fastest.
  const text = value.toString('latin1');
  const matched = matchStoredEvent(value, text, ascii);
  if (matched) return matched;
  // Control characters are refused inside strings, and a raw newline would make checkStoredEvent
  // rewrite the line; the gateway writes neither (tab or CR between tokens: the slow path).
  if (CONTROL.test(text)) return null;
  return new Scan(value, text, ascii).event();
}

const CONTROL = /[\x00-\x1f]/;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MAX_DEPTH = 64;

interface Field {
  readonly spec: FieldSpec | null;
  readonly index: number;
  readonly name: string;
  readonly values: readonly string[] | null;
}

const KNOWN: readonly Field[] = [
  ...FIELDS.map((spec, index) => ({ spec, index, name: spec.name, values: spec.values ?? null })),
  { spec: null, index: FIELDS.length, name: EXTRA_FIELD, values: null },
];
/** Field names by their first character (names are ASCII). */
const BY_FIRST: Field[][] = Array.from({ length: 128 }, () => []);
for (const f of KNOWN) BY_FIRST[f.name.charCodeAt(0)]?.push(f);
const REQUIRED = STORED_REQUIRED_FIELDS.map((n) => FIELDS.findIndex((f) => f.name === n));
const [EVENT_ID, TS, RECEIVED_AT] = ['event_id', 'ts', 'received_at'].map((n) =>
  FIELDS.findIndex((f) => f.name === n),
) as [number, number, number];

/**
 * Thrown inside a scan to give up (the record goes the slow way); never escapes this module. One
 * object made once: a throw costs no stack capture.
 */
const GIVE_UP = new Error('not a record stored unchanged');

/** One scan of one record, over its bytes as a one-byte string (`t`, character i = byte i). */
class Scan {
  private pos = 0;
  /** Per field of the table: seen with a non-null value (1), seen as null (2). */
  private readonly seen = new Uint8Array(KNOWN.length);
  /** Without a backslash, every string ends at the next quote. */
  private readonly escapes: boolean;
  private eventId = '';
  private ts = 0;
  private receivedAt = 0;

  constructor(
    private readonly b: Buffer,
    private readonly t: string,
    private readonly ascii: boolean,
  ) {
    this.escapes = t.indexOf('\\') !== -1;
  }

  event(): ScannedEvent | null {
    try {
      this.ws();
      this.expect(0x7b); // {
      this.ws();
      if (this.t.charCodeAt(this.pos) === 0x7d) return null; // {}: required fields missing
      for (;;) {
        this.member();
        this.ws();
        const c = this.t.charCodeAt(this.pos++);
        if (c === 0x2c) continue; // ,
        if (c === 0x7d) break; // }
        return null;
      }
      this.ws();
      if (this.pos !== this.t.length) return null;
      for (const r of REQUIRED) if (this.seen[r] !== 1) return null;
      return { eventId: this.eventId, ts: this.ts, receivedAt: this.receivedAt };
    } catch (error) {
      if (error === GIVE_UP) return null;
      throw error;
    }
  }

  private member(): void {
    this.ws();
    const field = this.key();
    this.ws();
    this.expect(0x3a); // :
    this.ws();
    if (this.seen[field.index] !== 0) throw GIVE_UP; // a key twice: JSON.parse keeps the last
    if (this.t.startsWith('null', this.pos)) {
      this.pos += 4;
      this.seen[field.index] = 2;
      return;
    }
    this.seen[field.index] = 1;
    const spec = field.spec;
    if (spec === null) {
      // extra: an object (any valid JSON inside), or null (above).
      if (this.t.charCodeAt(this.pos) !== 0x7b) throw GIVE_UP;
      this.value(0);
      return;
    }
    if (spec.type === 'string' || spec.type === 'enum') {
      if (this.t.charCodeAt(this.pos) !== QUOTE) throw GIVE_UP;
      const start = this.pos + 1;
      const escaped = this.string();
      const end = this.pos - 1;
      if (field.values && (escaped || !field.values.some((v) => this.textIs(start, end, v))))
        throw GIVE_UP;
      if (field.index === EVENT_ID) {
        if (escaped) throw GIVE_UP;
        this.eventId = this.ascii ? this.t.slice(start, end) : this.b.toString('utf8', start, end);
      }
      return;
    }
    const n = this.number();
    if (FIELD_TYPES[spec.type].stored(spec, n) !== null) throw GIVE_UP;
    if (field.index === TS) this.ts = n;
    else if (field.index === RECEIVED_AT) this.receivedAt = n;
  }

  /** A top-level key of the field table, written without escapes; anything else gives up. */
  private key(): Field {
    const t = this.t;
    if (t.charCodeAt(this.pos) !== QUOTE) throw GIVE_UP;
    const start = this.pos + 1;
    const end = t.indexOf('"', start);
    if (end < 0) throw GIVE_UP;
    // A backslash before the quote: an escape in the key (or an escaped quote): the slow path.
    if (this.escapes)
      for (let i = start; i < end; i += 1) if (t.charCodeAt(i) === BACKSLASH) throw GIVE_UP;
    this.pos = end + 1;
    for (const f of BY_FIRST[t.charCodeAt(start)] ?? []) {
      if (this.textIs(start, end, f.name)) return f;
    }
    throw GIVE_UP; // a field the table does not know: it moves into extra (slow path)
  }

  private textIs(start: number, end: number, want: string): boolean {
    return end - start === want.length && this.t.startsWith(want, start);
  }

  /** Any JSON value (inside extra). */
  private value(depth: number): void {
    const c = this.t.charCodeAt(this.pos);
    if (c === QUOTE) this.string();
    else if (c === 0x7b || c === 0x5b) this.container(depth + 1);
    else if (c === 0x74) this.need('true');
    else if (c === 0x66) this.need('false');
    else if (c === 0x6e) this.need('null');
    else this.number();
  }

  private container(depth: number): void {
    if (depth > MAX_DEPTH) throw GIVE_UP;
    const t = this.t;
    const object = t.charCodeAt(this.pos) === 0x7b;
    const close = object ? 0x7d : 0x5d;
    this.pos += 1;
    this.ws();
    if (t.charCodeAt(this.pos) === close) {
      this.pos += 1;
      return;
    }
    for (;;) {
      this.ws();
      if (object) {
        if (t.charCodeAt(this.pos) !== QUOTE) throw GIVE_UP;
        this.string();
        this.ws();
        this.expect(0x3a);
        this.ws();
      }
      this.value(depth);
      this.ws();
      const c = t.charCodeAt(this.pos++);
      if (c === 0x2c) continue;
      if (c === close) return;
      throw GIVE_UP;
    }
  }

  /**
   * A JSON string starting at the quote (the caller saw it); returns whether it had escapes. Gives
   * up on an escaped surrogate (it may be lone: not well-formed) or a bad escape. (Control
   * characters were refused for the whole record.)
   */
  private string(): boolean {
    const t = this.t;
    if (!this.escapes) {
      const end = t.indexOf('"', this.pos + 1);
      if (end < 0) throw GIVE_UP;
      this.pos = end + 1;
      return false;
    }
    let p = this.pos + 1;
    let escaped = false;
    for (;;) {
      const c = t.charCodeAt(p);
      if (Number.isNaN(c)) throw GIVE_UP;
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        escaped = true;
        const e = t.charCodeAt(p + 1);
        if (e === 0x75) {
          // \uXXXX
          const hex = t.slice(p + 2, p + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw GIVE_UP;
          const unit = parseInt(hex, 16);
          if (unit >= 0xd800 && unit <= 0xdfff) throw GIVE_UP;
          p += 6;
          continue;
        }
        // " \ / b f n r t
        if (
          e !== QUOTE &&
          e !== BACKSLASH &&
          e !== 0x2f &&
          e !== 0x62 &&
          e !== 0x66 &&
          e !== 0x6e &&
          e !== 0x72 &&
          e !== 0x74
        )
          throw GIVE_UP;
        p += 2;
        continue;
      }
      p += 1;
    }
    this.pos = p + 1;
    return escaped;
  }

  /** A JSON number, as JSON.parse reads it. */
  private number(): number {
    const t = this.t;
    const start = this.pos;
    let p = start;
    if (t.charCodeAt(p) === 0x2d) p += 1; // -
    const firstDigit = p;
    if (t.charCodeAt(p) === 0x30) p += 1;
    else if (isDigit(t.charCodeAt(p))) while (isDigit(t.charCodeAt(p))) p += 1;
    else throw GIVE_UP;
    const intEnd = p;
    let simple = true;
    if (t.charCodeAt(p) === 0x2e) {
      simple = false;
      p += 1;
      if (!isDigit(t.charCodeAt(p))) throw GIVE_UP;
      while (isDigit(t.charCodeAt(p))) p += 1;
    }
    const e = t.charCodeAt(p);
    if (e === 0x65 || e === 0x45) {
      simple = false;
      p += 1;
      const sign = t.charCodeAt(p);
      if (sign === 0x2b || sign === 0x2d) p += 1;
      if (!isDigit(t.charCodeAt(p))) throw GIVE_UP;
      while (isDigit(t.charCodeAt(p))) p += 1;
    }
    this.pos = p;
    if (simple && intEnd - firstDigit <= 15) {
      let n = 0;
      for (let i = firstDigit; i < intEnd; i += 1) n = n * 10 + (t.charCodeAt(i) - 0x30);
      return firstDigit === start ? n : -n;
    }
    return Number(t.slice(start, p));
  }

  private need(word: string): void {
    if (!this.t.startsWith(word, this.pos)) throw GIVE_UP;
    this.pos += word.length;
  }

  private expect(c: number): void {
    if (this.t.charCodeAt(this.pos) !== c) throw GIVE_UP;
    this.pos += 1;
  }

  /** JSON whitespace (tab and CR were refused for the whole record, a newline too). */
  private ws(): void {
    while (this.t.charCodeAt(this.pos) === 0x20) this.pos += 1;
  }
}

/** True for an ASCII digit (false for NaN, past the end). */
function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
