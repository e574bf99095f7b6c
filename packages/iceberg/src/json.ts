/**
 * JSON with exact 64-bit integers. Snapshot ids are random 63-bit numbers (Java derives them from a
 * UUID), so most exceed 2^53 and `JSON.parse` would round them: an `assert-ref-snapshot-id` built
 * from a rounded id names a snapshot that does not exist. Parsing reads the integer's source text
 * (`JSON.parse` source access, Node 21+); writing emits a bigint's digits as they are
 * (`JSON.rawJSON`).
 */

/** Members that are 64-bit integers in Iceberg's metadata and REST payloads: always bigint. */
const LONG_KEYS: ReadonlySet<string> = new Set([
  'snapshot-id',
  'parent-snapshot-id',
  'current-snapshot-id',
  'sequence-number',
  'last-sequence-number',
]);

const INTEGER = /^-?\d+$/;

interface ReviverContext {
  readonly source?: string;
}

declare global {
  interface JSON {
    rawJSON(text: string): unknown;
  }
}

/**
 * Parses JSON; integers under the keys above, and any integer beyond ±(2^53 − 1), become bigint
 * with every digit kept. Other numbers stay numbers.
 */
export function parseJson(text: string): unknown {
  return JSON.parse(text, function revive(this: unknown, key: string, value: unknown) {
    // eslint-disable-next-line prefer-rest-params -- the third argument is not in the TS signature
    const context = arguments[2] as ReviverContext | undefined;
    if (typeof value !== 'number' || context?.source === undefined) return value;
    if (!INTEGER.test(context.source)) return value;
    if (LONG_KEYS.has(key) || !Number.isSafeInteger(value)) return BigInt(context.source);
    return value;
  });
}

/** JSON text in which every bigint is written as its exact integer. */
export function stringifyJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'bigint' ? JSON.rawJSON(v.toString()) : v,
  );
}
