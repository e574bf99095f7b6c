import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate, type InputType, type ZlibOptions } from 'node:zlib';
import type { EventReject } from '@loglake/events';
import { GatewayHttpError } from './http-errors.ts';

export interface BodyLimits {
  /** Largest body after decompression. */
  readonly maxDecompressedBytes: number;
  /** Most events in one request. */
  readonly maxEvents: number;
}

export type BodyFormat = 'json' | 'ndjson';

/** The events of one request: parsed values, and NDJSON lines that did not parse, by index (their item is the raw line). */
export interface ParsedBody {
  readonly items: unknown[];
  readonly lineErrors: ReadonlyMap<number, EventReject>;
}

type Decompress = (input: InputType, options: ZlibOptions) => Promise<Buffer>;
const DECOMPRESSORS: Readonly<Record<string, Decompress>> = {
  gzip: promisify(gunzip),
  'x-gzip': promisify(gunzip),
  deflate: promisify(inflate),
  br: promisify(brotliDecompress),
};

/** Media type → body format; anything else is a 415. */
export function bodyFormat(contentType: string | undefined): BodyFormat | null {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'application/json') return 'json';
  if (
    type === 'application/x-ndjson' ||
    type === 'application/ndjson' ||
    type === 'application/jsonl'
  )
    return 'ndjson';
  return null;
}

async function decompress(
  raw: Buffer,
  encoding: string | undefined,
  limits: BodyLimits,
): Promise<Buffer> {
  const name = (encoding ?? 'identity').trim().toLowerCase();
  if (name === '' || name === 'identity') {
    if (raw.length > limits.maxDecompressedBytes) {
      throw new GatewayHttpError(
        'DECOMPRESSED_TOO_LARGE',
        `body is larger than ${limits.maxDecompressedBytes} bytes`,
      );
    }
    return raw;
  }
  const fn = DECOMPRESSORS[name];
  if (!fn) {
    throw new GatewayHttpError(
      'UNSUPPORTED_ENCODING',
      `Content-Encoding "${name}" is not supported: use gzip, deflate, br or none`,
    );
  }
  try {
    // maxOutputLength stops inflation at the limit: a gzip bomb costs at most that much memory.
    return await fn(raw, { maxOutputLength: limits.maxDecompressedBytes });
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new GatewayHttpError(
        'DECOMPRESSED_TOO_LARGE',
        `body decompresses to more than ${limits.maxDecompressedBytes} bytes`,
      );
    }
    throw new GatewayHttpError(
      'INVALID_COMPRESSION',
      `body is not valid ${name} data (${(error as Error).message})`,
    );
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(bytes: Buffer): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new GatewayHttpError('INVALID_UTF8', 'body is not valid UTF-8');
  }
}

function tooMany(limits: BodyLimits): GatewayHttpError {
  return new GatewayHttpError(
    'TOO_MANY_EVENTS',
    `a request may carry at most ${limits.maxEvents} events`,
  );
}

function parseJson(text: string, limits: BodyLimits): ParsedBody {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new GatewayHttpError(
      'INVALID_JSON',
      `body is not valid JSON: ${(error as Error).message}`,
    );
  }
  const items = Array.isArray(value) ? value : [value];
  if (items.length === 0) throw new GatewayHttpError('EMPTY_BODY', 'the array holds no events');
  if (items.length > limits.maxEvents) throw tooMany(limits);
  return { items, lineErrors: new Map() };
}

function parseNdjson(text: string, limits: BodyLimits): ParsedBody {
  const items: unknown[] = [];
  const lineErrors = new Map<number, EventReject>();
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const line = text.slice(start, end).trim();
    start = end + 1;
    if (line === '') continue;
    if (items.length >= limits.maxEvents) throw tooMany(limits);
    try {
      items.push(JSON.parse(line));
    } catch (error) {
      lineErrors.set(items.length, {
        code: 'INVALID_JSON_LINE',
        message: `line is not valid JSON: ${(error as Error).message}`,
      });
      items.push(line); // the raw line, for the dead-letter record
    }
  }
  if (items.length === 0) throw new GatewayHttpError('EMPTY_BODY', 'the body holds no events');
  return { items, lineErrors };
}

/** Raw request bytes → events: decompress (bounded), decode UTF-8 strictly, parse JSON or NDJSON. */
export async function parseBody(
  raw: Buffer,
  format: BodyFormat,
  contentEncoding: string | undefined,
  limits: BodyLimits,
): Promise<ParsedBody> {
  if (raw.length === 0) throw new GatewayHttpError('EMPTY_BODY', 'the body is empty');
  const text = decodeUtf8(await decompress(raw, contentEncoding, limits));
  if (text.trim() === '') throw new GatewayHttpError('EMPTY_BODY', 'the body is empty');
  return format === 'json' ? parseJson(text, limits) : parseNdjson(text, limits);
}
