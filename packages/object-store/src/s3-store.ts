import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { open, stat } from 'node:fs/promises';
import { isLoglakeError, LoglakeError } from '@loglake/core';
import {
  S3_DEFAULT_CONNECTION_TIMEOUT_MS,
  S3_DEFAULT_REQUEST_TIMEOUT_MS,
  type S3ClientConfig,
} from './config.ts';
import { CHECK_WRITABLE_TIMEOUT_MS, withStoreDeadline } from './deadline.ts';
import type { HeadResult, ObjectInfo, ObjectStore, PutOptions, PutResult } from './store.ts';

export interface S3StoreOptions {
  readonly bucket: string;
  /** Key prefix without leading or trailing slash; empty for the bucket root. */
  readonly prefix?: string;
  /** Bodies above this size go up by multipart upload, in parts of this size (S3 minimum 5 MiB). */
  readonly partSizeBytes?: number;
  /** Keys per ListObjectsV2 page (S3 caps it at 1000). */
  readonly pageSize?: number;
}

const MIN_PART = 5 * 1024 * 1024;

/**
 * The HTTP handler's limits for `config`. `requestTimeoutMs` is the handler's `socketTimeout`
 * (inactivity), not its `requestTimeout`: the latter is a whole-request deadline that, in
 * @smithy/node-http-handler 4.x, only logs a warning unless `throwOnRequestTimeout` is set.
 * A timed-out attempt fails with a `TimeoutError` that the SDK retries like any network error.
 */
export function s3HandlerOptions(config: S3ClientConfig): {
  readonly connectionTimeout: number;
  readonly socketTimeout: number;
} {
  return {
    connectionTimeout: config.connectionTimeoutMs ?? S3_DEFAULT_CONNECTION_TIMEOUT_MS,
    socketTimeout: config.requestTimeoutMs ?? S3_DEFAULT_REQUEST_TIMEOUT_MS,
  };
}

export function createS3Client(config: S3ClientConfig): S3Client {
  return new S3Client({
    requestHandler: new NodeHttpHandler(s3HandlerOptions(config)),
    region: config.region,
    forcePathStyle: config.forcePathStyle,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(config.credentials ? { credentials: { ...config.credentials } } : {}),
    // Checksums only where S3 requires them: several S3-compatible servers reject the
    // newer default trailers, and every part and object is verified by its ETag anyway.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

function statusOf(error: unknown): number | undefined {
  const meta = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata;
  return meta?.httpStatusCode;
}

function nameOf(error: unknown): string | undefined {
  return (error as { name?: string } | null)?.name;
}

/** No HTTP status (timeout, reset, refused), 5xx, 409 or 429: the same call may succeed later. */
function isTransient(error: unknown): boolean {
  if (isLoglakeError(error)) return error.retryable;
  const status = statusOf(error);
  return status === undefined || status >= 500 || status === 409 || status === 429;
}

function storeError(action: string, key: string, cause: unknown): LoglakeError {
  const status = statusOf(cause);
  const retryable = isTransient(cause);
  return new LoglakeError(
    'LOGLAKE_STORE_WRITE_FAILED',
    `${action} ${key} failed (${nameOf(cause) ?? status ?? 'error'})`,
    {
      retryable,
      cause,
      details: { status },
    },
  );
}

/** Creates the bucket if it is missing (for local stacks and tests; production buckets exist). */
export async function ensureBucket(client: S3Client, bucket: string): Promise<void> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
    return;
  } catch (error) {
    if (statusOf(error) !== 404) throw error;
  }
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    const name = nameOf(error);
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw error;
  }
}

export function createS3Store(client: S3Client, options: S3StoreOptions): ObjectStore {
  const bucket = options.bucket;
  const prefix = (options.prefix ?? '').replace(/^\/+|\/+$/g, '');
  const root = prefix === '' ? '' : `${prefix}/`;
  const partSize = Math.max(options.partSizeBytes ?? 8 * 1024 * 1024, MIN_PART);
  const pageSize = options.pageSize ?? 1000;
  const full = (key: string) => `${root}${key}`;

  async function putSingle(
    key: string,
    body: Buffer,
    opts: PutOptions,
    abortSignal?: AbortSignal,
  ): Promise<PutResult> {
    try {
      const out = await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: full(key),
          Body: body,
          ContentLength: body.length,
          ...(opts.contentType ? { ContentType: opts.contentType } : {}),
          ...(opts.metadata ? { Metadata: { ...opts.metadata } } : {}),
          ...(opts.ifAbsent ? { IfNoneMatch: '*' } : {}),
        }),
        { abortSignal },
      );
      return { status: 'created', ...(out.ETag ? { etag: out.ETag } : {}) };
    } catch (error) {
      if (opts.ifAbsent && statusOf(error) === 412) return { status: 'exists' };
      throw storeError('put', full(key), error);
    }
  }

  /** Multipart upload of `size` bytes, part `n` (from 1) read by `readPart(offset, length)`. */
  async function putMultipart(
    key: string,
    size: number,
    readPart: (offset: number, length: number) => Promise<Buffer>,
    opts: PutOptions,
  ): Promise<PutResult> {
    const Key = full(key);
    let uploadId: string | undefined;
    try {
      const created = await client.send(
        new CreateMultipartUploadCommand({
          Bucket: bucket,
          Key,
          ...(opts.contentType ? { ContentType: opts.contentType } : {}),
          ...(opts.metadata ? { Metadata: { ...opts.metadata } } : {}),
        }),
      );
      uploadId = created.UploadId;
      if (!uploadId) throw new Error('CreateMultipartUpload returned no UploadId');
      const parts: CompletedPart[] = [];
      for (let offset = 0, n = 1; offset < size; offset += partSize, n += 1) {
        const chunk = await readPart(offset, Math.min(partSize, size - offset));
        const part = await client.send(
          new UploadPartCommand({
            Bucket: bucket,
            Key,
            UploadId: uploadId,
            PartNumber: n,
            Body: chunk,
            ContentLength: chunk.length,
          }),
        );
        parts.push({ PartNumber: n, ETag: part.ETag });
      }
      const done = await client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
          ...(opts.ifAbsent ? { IfNoneMatch: '*' } : {}),
        }),
      );
      return { status: 'created', ...(done.ETag ? { etag: done.ETag } : {}) };
    } catch (error) {
      if (uploadId) {
        await client
          .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key, UploadId: uploadId }))
          .catch(() => undefined);
      }
      if (opts.ifAbsent && statusOf(error) === 412) return { status: 'exists' };
      throw storeError('multipart put', Key, error);
    }
  }

  return {
    url: `s3://${bucket}${prefix === '' ? '' : `/${prefix}`}`,
    put(key, body, opts = {}) {
      if (body.length <= partSize) return putSingle(key, body, opts);
      return putMultipart(key, body.length, async (o, l) => body.subarray(o, o + l), opts);
    },
    async putFile(key, path, opts = {}) {
      const { size } = await stat(path);
      const handle = await open(path, 'r');
      try {
        const read = async (offset: number, length: number) => {
          const chunk = Buffer.allocUnsafe(length);
          const { bytesRead } = await handle.read(chunk, 0, length, offset);
          return chunk.subarray(0, bytesRead);
        };
        if (size <= partSize) return await putSingle(key, await read(0, size), opts);
        return await putMultipart(key, size, read, opts);
      } finally {
        await handle.close();
      }
    },
    async get(key) {
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: full(key) }));
        if (!out.Body) throw new Error('empty body');
        return Buffer.from(await out.Body.transformToByteArray());
      } catch (error) {
        if (statusOf(error) === 404) {
          throw new LoglakeError('LOGLAKE_STORE_NOT_FOUND', `no object ${full(key)}`, {
            cause: error,
          });
        }
        throw storeError('get', full(key), error);
      }
    },
    async head(key): Promise<HeadResult | null> {
      try {
        const out = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: full(key) }));
        return { size: out.ContentLength ?? 0, metadata: out.Metadata ?? {} };
      } catch (error) {
        if (statusOf(error) === 404) return null;
        throw storeError('head', full(key), error);
      }
    },
    async *list(listPrefix): AsyncIterable<ObjectInfo> {
      let token: string | undefined;
      do {
        let page;
        try {
          page = await client.send(
            new ListObjectsV2Command({
              Bucket: bucket,
              Prefix: full(listPrefix),
              MaxKeys: pageSize,
              ...(token ? { ContinuationToken: token } : {}),
            }),
          );
        } catch (error) {
          throw storeError('list', full(listPrefix), error);
        }
        for (const item of page.Contents ?? []) {
          if (item.Key === undefined) continue;
          yield {
            key: item.Key.slice(root.length),
            size: item.Size ?? 0,
            ...(item.LastModified ? { lastModified: item.LastModified.getTime() } : {}),
          };
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    },
    async delete(key) {
      try {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: full(key) }));
      } catch (error) {
        throw storeError('delete', full(key), error);
      }
    },
    async checkWritable({ timeoutMs = CHECK_WRITABLE_TIMEOUT_MS } = {}) {
      await withStoreDeadline(timeoutMs, async (abortSignal) => {
        try {
          await client.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal });
        } catch (cause) {
          throw new LoglakeError(
            'LOGLAKE_STORE_UNAVAILABLE',
            `bucket ${bucket} is not reachable (${nameOf(cause) ?? statusOf(cause) ?? 'error'})`,
            { retryable: isTransient(cause), cause },
          );
        }
        const probe = `_loglake/probe-${process.pid}-${Date.now()}`;
        try {
          await putSingle(probe, Buffer.from('probe'), {}, abortSignal);
          await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: full(probe) }), {
            abortSignal,
          });
        } catch (cause) {
          throw new LoglakeError(
            'LOGLAKE_STORE_UNAVAILABLE',
            `bucket ${bucket} is not writable under "${root}"`,
            { retryable: isTransient(cause), cause },
          );
        }
      });
    },
  };
}
