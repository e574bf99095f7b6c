import {
  openStore,
  type ObjectStore,
  type OpenedStore,
  type S3ClientConfig,
} from '@loglake/object-store';

/** Reads and writes the table's files by full URI (`s3://bucket/key`), as Iceberg's FileIO does. */
export interface FileIO {
  write(uri: string, bytes: Buffer): Promise<void>;
  /** Uploads a local file (a Parquet data file) to `uri`. */
  upload(uri: string, localPath: string): Promise<void>;
  read(uri: string): Promise<Buffer>;
  close(): void;
}

function splitS3Uri(uri: string): { bucket: string; key: string } {
  const m = /^s3a?:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!m?.[1] || !m[2]) throw new Error(`"${uri}" is not an s3://bucket/key URI`);
  return { bucket: m[1], key: m[2] };
}

/** S3 through the project's object-store adapter, one client per bucket the table touches. */
export function createS3FileIO(s3: S3ClientConfig): FileIO {
  const stores = new Map<string, OpenedStore>();
  const at = (uri: string): { store: ObjectStore; key: string } => {
    const { bucket, key } = splitS3Uri(uri);
    let opened = stores.get(bucket);
    if (!opened) {
      opened = openStore(`s3://${bucket}`, s3);
      stores.set(bucket, opened);
    }
    return { store: opened.store, key };
  };
  return {
    async write(uri, bytes) {
      const { store, key } = at(uri);
      await store.put(key, bytes);
    },
    async upload(uri, localPath) {
      const { store, key } = at(uri);
      await store.putFile(key, localPath);
    },
    read(uri) {
      const { store, key } = at(uri);
      return store.get(key);
    },
    close() {
      for (const s of stores.values()) s.close();
      stores.clear();
    },
  };
}
