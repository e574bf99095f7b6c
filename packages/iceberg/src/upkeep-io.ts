import { openStore, type OpenedStore, type S3ClientConfig } from '@loglake/object-store';
import { createS3FileIO, type FileIO } from './file-io.ts';

/** An object under the table's location, as listed. */
export interface ListedFile {
  readonly uri: string;
  readonly size: number;
  /** Epoch ms; undefined when the store does not say (such a file is never called old). */
  readonly lastModified?: number;
}

/** What snapshot expiry and orphan cleanup need beyond reading and writing: listing and deleting. */
export interface UpkeepFileIO extends FileIO {
  /** Every object whose URI starts with `prefix` (`s3://bucket/path/`). */
  list(prefix: string): AsyncIterable<ListedFile>;
  delete(uri: string): Promise<void>;
}

/** `s3a://` and `s3n://` name the same objects as `s3://` (Hadoop's schemes). */
export function normaliseUri(uri: string): string {
  return uri.replace(/^s3[an]:\/\//, 's3://');
}

function split(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(normaliseUri(uri));
  if (!m?.[1]) throw new Error(`"${uri}" is not an s3://bucket/key URI`);
  return { bucket: m[1], key: m[2] ?? '' };
}

/** The table's S3 files through the object-store adapter, with listing and deletion. */
export function createS3UpkeepIO(s3: S3ClientConfig): UpkeepFileIO {
  const io = createS3FileIO(s3);
  const stores = new Map<string, OpenedStore>();
  const store = (bucket: string) => {
    let opened = stores.get(bucket);
    if (!opened) {
      opened = openStore(`s3://${bucket}`, s3);
      stores.set(bucket, opened);
    }
    return opened.store;
  };
  return {
    ...io,
    async *list(prefix) {
      const { bucket, key } = split(prefix);
      for await (const o of store(bucket).list(key)) {
        yield {
          uri: `s3://${bucket}/${o.key}`,
          size: o.size,
          ...(o.lastModified === undefined ? {} : { lastModified: o.lastModified }),
        };
      }
    },
    delete(uri) {
      const { bucket, key } = split(uri);
      return store(bucket).delete(key);
    },
    close() {
      io.close();
      for (const s of stores.values()) s.close();
      stores.clear();
    },
  };
}
