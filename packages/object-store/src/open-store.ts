import { fileURLToPath } from 'node:url';
import type { S3ClientConfig } from './config.ts';
import { createLocalStore } from './local-store.ts';
import { createS3Client, createS3Store } from './s3-store.ts';
import type { ObjectStore } from './store.ts';

export interface OpenedStore {
  readonly store: ObjectStore;
  /** Releases the S3 client's sockets. */
  close(): void;
}

/** `s3://bucket/prefix` → S3 (with `s3` settings); `file:///abs` or `file://./rel` → a local folder. */
export function openStore(url: string, s3: S3ClientConfig): OpenedStore {
  if (url.startsWith('s3://')) {
    const rest = url.slice('s3://'.length);
    const [bucket = '', ...prefix] = rest.split('/');
    if (bucket === '') throw new Error(`no bucket in ${url}`);
    const client = createS3Client(s3);
    return {
      store: createS3Store(client, { bucket, prefix: prefix.join('/') }),
      close: () => client.destroy(),
    };
  }
  if (url.startsWith('file://')) {
    const path = url.startsWith('file:///') ? fileURLToPath(url) : url.slice('file://'.length);
    return { store: createLocalStore(path), close: () => undefined };
  }
  throw new Error(`"${url}" is neither s3://bucket/prefix nor file://path`);
}
