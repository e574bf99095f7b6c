/**
 * The rows of one bucket of a range as NDJSON bytes: each row's JSON followed by a newline, copied
 * into chunks as records arrive, written to the encoder's input file as they are. No string per row
 * and no join at the flush; the chunks are what the memory budget counts (plus their unused tails).
 */
const NEWLINE = 0x0a;
const FIRST_CHUNK = 64 * 1024;
const MAX_CHUNK = 1024 * 1024;

/** What an encoder reads: NDJSON, `rows` lines in `buffers` (in order). */
export interface NdjsonInput {
  readonly buffers: readonly Uint8Array[];
  readonly rows: number;
}

export class NdjsonRows implements NdjsonInput {
  private readonly chunks: Buffer[] = [];
  /** Index of the first row of each chunk (a row never spans two chunks). */
  private readonly chunkFirstRow: number[] = [];
  /** Per row: where its JSON ends in its chunk (its newline's position). */
  private readonly ends: number[] = [];
  /** Per row: its Kafka offset. */
  private readonly offsets: number[] = [];
  private current: Buffer | null = null;
  private used = 0;

  get rows(): number {
    return this.ends.length;
  }

  /** The NDJSON so far: the used part of each chunk. */
  get buffers(): Buffer[] {
    const out = this.chunks.slice(0, -1);
    if (this.current) out.push(this.current.subarray(0, this.used));
    return out;
  }

  append(json: Uint8Array, offset: number): void {
    const need = json.length + 1;
    let chunk = this.current;
    if (chunk === null || chunk.length - this.used < need) chunk = this.grow(need);
    chunk.set(json, this.used);
    this.used += json.length;
    this.ends.push(this.used);
    chunk[this.used] = NEWLINE;
    this.used += 1;
    this.offsets.push(offset);
  }

  private grow(need: number): Buffer {
    const last = this.current?.length ?? FIRST_CHUNK / 2;
    if (this.current) this.chunks[this.chunks.length - 1] = this.current.subarray(0, this.used);
    const chunk = Buffer.allocUnsafeSlow(Math.max(need, Math.min(MAX_CHUNK, last * 2)));
    this.chunks.push(chunk);
    this.chunkFirstRow.push(this.ends.length);
    this.current = chunk;
    this.used = 0;
    return chunk;
  }

  /**
   * Gives the chunks back once the rows are encoded (the range lives on until its commit, its bytes
   * need not); the rows are empty afterwards.
   */
  release(): void {
    this.chunks.length = 0;
    this.chunkFirstRow.length = 0;
    this.ends.length = 0;
    this.offsets.length = 0;
    this.current = null;
    this.used = 0;
  }

  offsetAt(row: number): bigint {
    return BigInt(this.offsets[row] as number);
  }

  /** Row `row`'s JSON (without its newline). */
  line(row: number): Buffer {
    let c = this.chunkFirstRow.length - 1;
    while ((this.chunkFirstRow[c] as number) > row) c -= 1;
    const chunk = this.chunks[c] as Buffer;
    const start = row === this.chunkFirstRow[c] ? 0 : (this.ends[row - 1] as number) + 1;
    return chunk.subarray(start, this.ends[row]);
  }

  /** Rows `from` to `to` (exclusive) leaving out `skip`, as encoder input (copies: for the rare re-encode). */
  select(from: number, to: number, skip: ReadonlySet<number> = new Set()): NdjsonInput {
    const buffers: Uint8Array[] = [];
    const newline = Buffer.from([NEWLINE]);
    for (let i = from; i < to; i += 1) {
      if (skip.has(i)) continue;
      buffers.push(this.line(i), newline);
    }
    return { buffers, rows: buffers.length / 2 };
  }
}

/** `lines` (JSON without newlines) as encoder input. */
export function ndjsonOf(lines: readonly string[]): NdjsonInput {
  return {
    buffers: lines.length === 0 ? [] : [Buffer.from(`${lines.join('\n')}\n`)],
    rows: lines.length,
  };
}
