/**
 * Data objects copied from the store to a temporary folder, so that DuckDB can read them (its S3
 * extension cannot be downloaded here) and more than one reader can use one download.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ObjectStore } from '@loglake/object-store';

export interface LocalCopy {
  /** `<dir>/<object key>`. */
  readonly path: string;
  /** When the object became visible in the store (its last-modified time), epoch ms. */
  readonly visibleAt: number;
}

export interface LocalCopies {
  readonly dir: string;
  /** By object key. */
  readonly files: ReadonlyMap<string, LocalCopy>;
}

/** Copies the Parquet objects under `prefixes` to `dir`. */
async function copyObjects(
  store: ObjectStore,
  prefixes: readonly string[],
  dir: string,
): Promise<Map<string, LocalCopy>> {
  const files = new Map<string, LocalCopy>();
  for (const prefix of new Set(prefixes)) {
    for await (const o of store.list(prefix)) {
      if (!o.key.endsWith('.parquet')) continue;
      const path = join(dir, o.key);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, await store.get(o.key));
      files.set(o.key, { path, visibleAt: o.lastModified ?? Date.now() });
    }
  }
  return files;
}

/** Runs `fn` over local copies of the Parquet objects under `prefixes`, deleting them after. */
export async function withLocalCopies<T>(
  store: ObjectStore,
  prefixes: readonly string[],
  fn: (copies: LocalCopies) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'loglake-copies-'));
  try {
    return await fn({ dir, files: await copyObjects(store, prefixes, dir) });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
