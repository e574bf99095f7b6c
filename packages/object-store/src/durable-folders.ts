import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * The folders to fsync after `mkdir(leaf, { recursive: true })` returned `firstCreated` (absolute
 * paths both): every folder it created, deepest first, then the parent of the first one, whose
 * entry for it is new. Nothing when nothing was created.
 */
export function foldersToSync(leaf: string, firstCreated: string | undefined): string[] {
  if (firstCreated === undefined) return [];
  const folders: string[] = [];
  for (let dir = leaf; ; dir = dirname(dir)) {
    folders.push(dir);
    if (dir === firstCreated) break;
    if (dirname(dir) === dir) throw new Error(`${firstCreated} is not a folder above ${leaf}`);
  }
  folders.push(dirname(firstCreated));
  return folders;
}

export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Returns `ensureFolder(dir)`: creates `dir` and its missing parents, and resolves once their
 * entries are durable. A call that finds folders existing because a concurrent call has just
 * created them waits for that call's fsyncs too, so no object is published into a folder that a
 * crash could still unlink.
 */
export function createFolderMaker(): (dir: string) => Promise<void> {
  const syncing = new Map<string, Promise<void>>();

  return async function ensureFolder(dir: string): Promise<void> {
    const folders = foldersToSync(dir, await mkdir(dir, { recursive: true }));
    if (folders.length > 0) {
      const created = folders.slice(0, -1);
      const done = (async () => {
        for (const folder of folders) await fsyncDir(folder);
      })();
      for (const folder of created) syncing.set(folder, done);
      try {
        await done;
      } finally {
        for (const folder of created) if (syncing.get(folder) === done) syncing.delete(folder);
      }
    }
    for (let folder = dir; ; folder = dirname(folder)) {
      await syncing.get(folder);
      if (dirname(folder) === folder) return;
    }
  };
}
