/**
 * Test wrappers around loglake's own interfaces: an object store whose writes can be held, failed or
 * counted (a slow or failing S3 as the sink sees it), and a Parquet encoder whose files are the
 * lines themselves (so tests can read back which records an object holds).
 */
import { writeFile } from 'node:fs/promises';
import type { ObjectStore, PutOptions } from '@loglake/object-store';
import type { ParquetEncoder } from '../encoder.ts';

type Op = 'put' | 'get' | 'head' | 'list';
type Predicate = (op: Op, key: string) => boolean;

export interface GatedStore {
  readonly store: ObjectStore;
  /** Holds matching calls (before they reach the store) until `release`. */
  hold(predicate: Predicate): void;
  release(): void;
  /** Matching calls fail (a store outage) until `heal`. */
  fail(predicate: Predicate): void;
  heal(): void;
  readonly held: number;
  /** Resolves once at least `n` calls are being held. */
  whenHeld(n: number): Promise<void>;
  /** Most data-object writes (puts of `.parquet` keys) that were in progress at once. */
  readonly maxConcurrentDataPuts: number;
  /** Keys of data objects written, in order (a key written twice appears twice). */
  readonly dataPuts: string[];
}

export function gatedStore(inner: ObjectStore): GatedStore {
  let holdIf: Predicate | null = null;
  let failIf: Predicate | null = null;
  let waiting: (() => void)[] = [];
  let heldWatchers: { n: number; resolve: () => void }[] = [];
  let running = 0;
  let maxRunning = 0;
  const dataPuts: string[] = [];

  async function gate(op: Op, key: string): Promise<void> {
    if (failIf?.(op, key)) throw new Error(`store unavailable (${op} ${key})`);
    if (holdIf?.(op, key)) {
      await new Promise<void>((resolve) => {
        waiting.push(resolve);
        heldWatchers = heldWatchers.filter((w) =>
          waiting.length >= w.n ? (w.resolve(), false) : true,
        );
      });
      if (failIf?.(op, key)) throw new Error(`store unavailable (${op} ${key})`);
    }
  }

  async function dataPut<T>(key: string, write: () => Promise<T>): Promise<T> {
    const data = key.endsWith('.parquet');
    if (data) maxRunning = Math.max(maxRunning, ++running);
    try {
      await gate('put', key);
      const out = await write();
      if (data) dataPuts.push(key);
      return out;
    } finally {
      if (data) running -= 1;
    }
  }

  const store: ObjectStore = {
    url: inner.url,
    put: (key: string, body: Buffer, options?: PutOptions) =>
      dataPut(key, () => inner.put(key, body, options)),
    putFile: (key: string, path: string, options?: PutOptions) =>
      dataPut(key, () => inner.putFile(key, path, options)),
    get: async (key) => {
      await gate('get', key);
      return inner.get(key);
    },
    head: async (key) => {
      await gate('head', key);
      return inner.head(key);
    },
    async *list(prefix) {
      await gate('list', prefix);
      yield* inner.list(prefix);
    },
    delete: (key) => inner.delete(key),
    checkWritable: (options) => inner.checkWritable(options),
  };

  return {
    store,
    hold: (p) => (holdIf = p),
    release: () => {
      holdIf = null;
      const w = waiting;
      waiting = [];
      for (const r of w) r();
    },
    fail: (p) => (failIf = p),
    heal: () => (failIf = null),
    get held() {
      return waiting.length;
    },
    whenHeld: (n) =>
      waiting.length >= n
        ? Promise.resolve()
        : new Promise<void>((resolve) => heldWatchers.push({ n, resolve })),
    get maxConcurrentDataPuts() {
      return maxRunning;
    },
    dataPuts,
  };
}

/** The file is the lines, one per line; `refuse` makes it refuse lines the way DuckDB does. */
export function textEncoder(refuse: (line: string) => boolean = () => false): ParquetEncoder {
  const encode = async (lines: readonly string[], path: string) => {
    const bad = lines.find(refuse);
    if (bad !== undefined) throw new Error(`Invalid Input Error: refused ${bad.slice(0, 40)}`);
    const body = lines.join('\n');
    await writeFile(path, body);
    return { rows: lines.length, bytes: Buffer.byteLength(body) };
  };
  return {
    name: 'text',
    encode,
    async encodeNdjson(input, path) {
      const text = Buffer.concat(input.buffers).toString('utf8');
      return encode(text === '' ? [] : text.slice(0, -1).split('\n'), path);
    },
    async close() {},
  };
}

/** The lines of a text-encoded object. */
export async function textLines(store: ObjectStore, key: string): Promise<string[]> {
  const body = (await store.get(key)).toString('utf8');
  return body === '' ? [] : body.split('\n');
}
