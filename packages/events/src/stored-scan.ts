import { isUtf8 } from 'node:buffer';
import {
  EXTRA_FIELD,
  FIELDS,
  TIMESTAMP_MAX_MS,
  TIMESTAMP_MIN_MS,
  type FieldSpec,
} from './fields.ts';
import { STORED_REQUIRED_FIELDS } from './stored.ts';

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
  // A raw newline can only be whitespace between tokens; checkStoredEvent would rewrite the line.
  if (value.indexOf(NEWLINE) !== -1 || !isUtf8(value)) return null;
  return new Scan(value).event();
}

const NEWLINE = 0x0a;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MAX_DEPTH = 64;

interface Field {
  readonly spec: FieldSpec | null;
  readonly index: number;
  readonly name: Uint8Array;
  readonly values: readonly Uint8Array[] | null;
}

const ascii = (s: string) => Uint8Array.from(Buffer.from(s, 'utf8'));
const KNOWN: readonly Field[] = [
  ...FIELDS.map((spec, index) => ({
    spec,
    index,
    name: ascii(spec.name),
    values: spec.values ? spec.values.map(ascii) : null,
  })),
  { spec: null, index: FIELDS.length, name: ascii(EXTRA_FIELD), values: null },
];
const BY_FIRST_BYTE = new Map<number, Field[]>();
for (const f of KNOWN) {
  const first = f.name[0] as number;
  BY_FIRST_BYTE.set(first, [...(BY_FIRST_BYTE.get(first) ?? []), f]);
}
const REQUIRED = STORED_REQUIRED_FIELDS.map((n) => FIELDS.findIndex((f) => f.name === n));
const [EVENT_ID, TS, RECEIVED_AT] = ['event_id', 'ts', 'received_at'].map((n) =>
  FIELDS.findIndex((f) => f.name === n),
) as [number, number, number];

/**
 * Thrown inside a scan to give up (the record goes the slow way); never escapes this module. One
 * object made once: a throw costs no stack capture.
 */
const GIVE_UP = new Error('not a record stored unchanged');

class Scan {
  private pos = 0;
  /** Per field of the table: seen with a non-null value (1), seen as null (2). */
  private readonly seen = new Uint8Array(KNOWN.length);
  private eventId = '';
  private ts = 0;
  private receivedAt = 0;

  constructor(private readonly b: Buffer) {}

  event(): ScannedEvent | null {
    try {
      this.ws();
      this.expect(0x7b); // {
      this.ws();
      if (this.b[this.pos] === 0x7d) return null; // {}: required fields missing
      for (;;) {
        this.member();
        this.ws();
        const c = this.b[this.pos++];
        if (c === 0x2c) continue; // ,
        if (c === 0x7d) break; // }
        return null;
      }
      this.ws();
      if (this.pos !== this.b.length) return null;
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
    if (this.literal('null')) {
      this.seen[field.index] = 2;
      return;
    }
    this.seen[field.index] = 1;
    const spec = field.spec;
    if (spec === null) {
      // extra: an object (any valid JSON inside), or null (above).
      if (this.b[this.pos] !== 0x7b) throw GIVE_UP;
      this.value(0);
      return;
    }
    if (spec.type === 'string' || spec.type === 'enum') {
      if (this.b[this.pos] !== QUOTE) throw GIVE_UP;
      const start = this.pos + 1;
      const escaped = this.string();
      const end = this.pos - 1;
      if (field.values && (escaped || !field.values.some((v) => this.bytesAre(start, end, v))))
        throw GIVE_UP;
      if (field.index === EVENT_ID) {
        if (escaped) throw GIVE_UP;
        this.eventId = this.b.toString('utf8', start, end);
      }
      return;
    }
    const n = this.number();
    switch (spec.type) {
      case 'int32':
        if (!Number.isInteger(n) || Math.abs(n) > 2 ** 31 - 1) throw GIVE_UP;
        break;
      case 'int64':
        if (!Number.isSafeInteger(n)) throw GIVE_UP;
        break;
      case 'timestamp':
        if (!Number.isSafeInteger(n) || n < TIMESTAMP_MIN_MS || n > TIMESTAMP_MAX_MS) throw GIVE_UP;
        break;
      case 'double':
        if (!Number.isFinite(n)) throw GIVE_UP;
        break;
    }
    if (field.index === TS) this.ts = n;
    else if (field.index === RECEIVED_AT) this.receivedAt = n;
  }

  /** A top-level key of the field table, written without escapes; anything else gives up. */
  private key(): Field {
    const b = this.b;
    if (b[this.pos] !== QUOTE) throw GIVE_UP;
    const start = this.pos + 1;
    let end = start;
    for (;;) {
      const c = b[end];
      if (c === undefined || c === BACKSLASH || c < 0x20) throw GIVE_UP;
      if (c === QUOTE) break;
      end += 1;
    }
    this.pos = end + 1;
    for (const f of BY_FIRST_BYTE.get(b[start] as number) ?? []) {
      if (this.bytesAre(start, end, f.name)) return f;
    }
    throw GIVE_UP; // a field the table does not know: it moves into extra (slow path)
  }

  private bytesAre(start: number, end: number, want: Uint8Array): boolean {
    if (end - start !== want.length) return false;
    for (let i = 0; i < want.length; i += 1) if (this.b[start + i] !== want[i]) return false;
    return true;
  }

  /** Any JSON value (inside extra). */
  private value(depth: number): void {
    const c = this.b[this.pos];
    if (c === QUOTE) this.string();
    else if (c === 0x7b || c === 0x5b) this.container(depth + 1);
    else if (c === 0x74) this.need('true');
    else if (c === 0x66) this.need('false');
    else if (c === 0x6e) this.need('null');
    else this.number();
  }

  private container(depth: number): void {
    if (depth > MAX_DEPTH) throw GIVE_UP;
    const object = this.b[this.pos] === 0x7b;
    const close = object ? 0x7d : 0x5d;
    this.pos += 1;
    this.ws();
    if (this.b[this.pos] === close) {
      this.pos += 1;
      return;
    }
    for (;;) {
      this.ws();
      if (object) {
        if (this.b[this.pos] !== QUOTE) throw GIVE_UP;
        this.string();
        this.ws();
        this.expect(0x3a);
        this.ws();
      }
      this.value(depth);
      this.ws();
      const c = this.b[this.pos++];
      if (c === 0x2c) continue;
      if (c === close) return;
      throw GIVE_UP;
    }
  }

  /**
   * A JSON string starting at the quote (the caller saw it); returns whether it had escapes. Gives up on an escaped
   * surrogate (it may be lone: not well-formed), a control character or a bad escape.
   */
  private string(): boolean {
    const b = this.b;
    let p = this.pos + 1;
    let escaped = false;
    for (;;) {
      const c = b[p];
      if (c === undefined || c < 0x20) throw GIVE_UP;
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        escaped = true;
        const e = b[p + 1];
        if (e === 0x75) {
          // \uXXXX
          const hex = b.toString('latin1', p + 2, p + 6);
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
    const b = this.b;
    const start = this.pos;
    let p = start;
    if (b[p] === 0x2d) p += 1; // -
    const firstDigit = p;
    if (b[p] === 0x30) p += 1;
    else if (isDigit(b[p])) while (isDigit(b[p])) p += 1;
    else throw GIVE_UP;
    const intEnd = p;
    let simple = true;
    if (b[p] === 0x2e) {
      simple = false;
      p += 1;
      if (!isDigit(b[p])) throw GIVE_UP;
      while (isDigit(b[p])) p += 1;
    }
    if (b[p] === 0x65 || b[p] === 0x45) {
      simple = false;
      p += 1;
      if (b[p] === 0x2b || b[p] === 0x2d) p += 1;
      if (!isDigit(b[p])) throw GIVE_UP;
      while (isDigit(b[p])) p += 1;
    }
    this.pos = p;
    if (simple && intEnd - firstDigit <= 15) {
      let n = 0;
      for (let i = firstDigit; i < intEnd; i += 1) n = n * 10 + ((b[i] as number) - 0x30);
      return firstDigit === start ? n : -n;
    }
    return Number(b.toString('latin1', start, p));
  }

  private literal(word: string): boolean {
    for (let i = 0; i < word.length; i += 1)
      if (this.b[this.pos + i] !== word.charCodeAt(i)) return false;
    this.pos += word.length;
    return true;
  }

  private need(word: string): void {
    if (!this.literal(word)) throw GIVE_UP;
  }

  private expect(c: number): void {
    if (this.b[this.pos] !== c) throw GIVE_UP;
    this.pos += 1;
  }

  /** JSON whitespace other than a newline (refused earlier). */
  private ws(): void {
    for (;;) {
      const c = this.b[this.pos];
      if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return;
      this.pos += 1;
    }
  }
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}
