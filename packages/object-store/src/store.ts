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

/**
 * The object store as loglake sees it: an S3 bucket with a key prefix, or a local folder.
 * Keys passed in are relative to the store's root; listed keys are too.
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
  /** Throws a coded error unless the root exists and accepts a write and a delete. */
  checkWritable(): Promise<void>;
}
