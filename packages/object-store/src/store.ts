/** One object as listed. */
export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  /** When the object became visible (S3 LastModified, or the file's mtime), epoch ms. */
  readonly lastModified?: number;
}

export interface PutOptions {
  /** Create only if no object has this key (S3 `If-None-Match: *`, or `link()` locally). */
  readonly ifAbsent?: boolean;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly contentType?: string;
}

export type PutResult =
  { readonly status: 'created'; readonly etag?: string } | { readonly status: 'exists' };

export interface HeadResult {
  readonly size: number;
  readonly metadata: Readonly<Record<string, string>>;
}

export interface CheckWritableOptions {
  /** Give up after this long (default 30000 ms): a store that does not answer is unavailable. */
  readonly timeoutMs?: number;
}

/**
 * The object store as loglake sees it: an S3 bucket with a key prefix, or a local folder.
 * Keys passed in are relative to the store's root; listed keys are too.
 *
 * Every call but `checkWritable` fails with a coded `LoglakeError`: `LOGLAKE_STORE_NOT_FOUND` from
 * `get` of a missing key, else `LOGLAKE_STORE_WRITE_FAILED` (for reads too), retryable when the
 * failure may pass (timeouts, resets, 5xx). An S3 attempt that sees no byte for
 * `S3_REQUEST_TIMEOUT_MS` is abandoned and retried by the SDK before the call fails.
 */
export interface ObjectStore {
  /** `s3://bucket/prefix` or `file:///abs/path`, for logs. */
  readonly url: string;
  put(key: string, body: Buffer, options?: PutOptions): Promise<PutResult>;
  /** Stores a local file under `key` (read part by part; the file is left in place). */
  putFile(key: string, path: string, options?: PutOptions): Promise<PutResult>;
  get(key: string): Promise<Buffer>;
  head(key: string): Promise<HeadResult | null>;
  /** Every key under `prefix`, in lexicographic order, fetched page by page. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  delete(key: string): Promise<void>;
  /**
   * Resolves once the root exists and accepts a write and a delete (S3: HeadBucket, then a probe
   * object put and deleted; locally: mkdir, then a probe file created and removed). Otherwise
   * throws `LOGLAKE_STORE_UNAVAILABLE`: retryable when the store may answer later (no answer
   * within `timeoutMs`, a network error, a 5xx), not when it answered no (no such bucket,
   * access denied).
   */
  checkWritable(options?: CheckWritableOptions): Promise<void>;
}
