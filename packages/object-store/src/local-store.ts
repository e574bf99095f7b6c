import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import {
  copyFile,
  link,
  open,
  readFile,
  readdir,
  rename,
  rm,
  stat,
  unlink,
} from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { LoglakeError } from '@loglake/core';
import { CHECK_WRITABLE_TIMEOUT_MS, withStoreDeadline } from './deadline.ts';
import { createFolderMaker, fsyncDir } from './durable-folders.ts';
import type { HeadResult, ObjectInfo, ObjectStore, PutOptions, PutResult } from './store.ts';

const TMP_PREFIX = '.tmp-';

/**
 * Object metadata is not kept (a sidecar file would trip readers that take every file of a folder).
 *
 * A local folder with S3's visibility rules: an object appears whole or not at all (write to a
 * temporary file, fsync, then rename, or `link()` for a conditional create, which fails if the
 * name exists). Temporary files start with `.tmp-` and are never listed. Folders a write creates
 * are fsynced with their parents before the object is published, so a published object survives
 * a crash together with its path.
 */
export function createLocalStore(rootDir: string): ObjectStore {
  const root = resolve(rootDir);
  const full = (key: string) => {
    const path = resolve(root, key);
    if (path !== root && !path.startsWith(root + sep))
      throw new Error(`key escapes the store: ${key}`);
    return path;
  };

  const ensureFolder = createFolderMaker();

  async function publish(tmp: string, path: string, opts: PutOptions): Promise<PutResult> {
    try {
      if (opts.ifAbsent) {
        try {
          await link(tmp, path);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EEXIST') return { status: 'exists' };
          throw error;
        }
        await unlink(tmp);
      } else {
        await rename(tmp, path);
      }
      await fsyncDir(dirname(path));
      return { status: 'created' };
    } finally {
      await rm(tmp, { force: true });
    }
  }

  async function tmpFor(path: string): Promise<string> {
    await ensureFolder(dirname(path));
    return join(dirname(path), `${TMP_PREFIX}${randomBytes(6).toString('hex')}`);
  }

  function wrap(action: string, key: string, error: unknown): LoglakeError {
    return new LoglakeError(
      'LOGLAKE_STORE_WRITE_FAILED',
      `${action} ${key} failed: ${(error as Error).message}`,
      {
        retryable: true,
        cause: error,
      },
    );
  }

  async function* walk(dir: string): AsyncGenerator<string> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith(TMP_PREFIX)) continue;
      const path = join(dir, e.name);
      if (e.isDirectory()) yield* walk(path);
      else if (e.isFile()) yield path;
    }
  }

  return {
    url: `file://${root}`,
    async put(key, body, opts = {}) {
      const path = full(key);
      try {
        const tmp = await tmpFor(path);
        const handle = await open(tmp, 'w');
        try {
          await handle.writeFile(body);
          await handle.sync();
        } finally {
          await handle.close();
        }
        return await publish(tmp, path, opts);
      } catch (error) {
        throw wrap('put', key, error);
      }
    },
    async putFile(key, source, opts = {}) {
      const path = full(key);
      try {
        const tmp = await tmpFor(path);
        await copyFile(source, tmp, constants.COPYFILE_FICLONE);
        const handle = await open(tmp, 'r+');
        try {
          await handle.sync();
        } finally {
          await handle.close();
        }
        return await publish(tmp, path, opts);
      } catch (error) {
        throw wrap('put', key, error);
      }
    },
    async get(key) {
      try {
        return await readFile(full(key));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          throw new LoglakeError('LOGLAKE_STORE_NOT_FOUND', `no object ${key}`, { cause: error });
        }
        throw wrap('get', key, error);
      }
    },
    async head(key): Promise<HeadResult | null> {
      const path = full(key);
      try {
        return { size: (await stat(path)).size, metadata: {} };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw wrap('head', key, error);
      }
    },
    async *list(prefix): AsyncIterable<ObjectInfo> {
      // Walk from the deepest folder the prefix names, then filter by the full prefix.
      const slash = prefix.lastIndexOf('/');
      const base = slash === -1 ? root : full(prefix.slice(0, slash));
      try {
        for await (const path of walk(base)) {
          const key = relative(root, path).split(sep).join('/');
          if (!key.startsWith(prefix)) continue;
          const s = await stat(path);
          yield { key, size: s.size, lastModified: s.mtimeMs };
        }
      } catch (error) {
        throw wrap('list', prefix, error);
      }
    },
    async delete(key) {
      const path = full(key);
      try {
        await rm(path, { force: true });
      } catch (error) {
        throw wrap('delete', key, error);
      }
    },
    async checkWritable({ timeoutMs = CHECK_WRITABLE_TIMEOUT_MS } = {}) {
      await withStoreDeadline(timeoutMs, async () => {
        try {
          await ensureFolder(root);
          const probe = join(root, `${TMP_PREFIX}probe-${process.pid}`);
          await open(probe, 'w').then((h) => h.close());
          await unlink(probe);
        } catch (cause) {
          throw new LoglakeError('LOGLAKE_STORE_UNAVAILABLE', `folder ${root} is not writable`, {
            cause,
          });
        }
      });
    },
  };
}
