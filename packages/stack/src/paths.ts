import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest folder above this file holding `pnpm-workspace.yaml`. */
export function findRepoRoot(start: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no pnpm-workspace.yaml above ${start}`);
    dir = parent;
  }
}

export interface StackPaths {
  readonly repo: string;
  readonly infra: string;
  /** Git-ignored working folder of the local stack. */
  readonly root: string;
  /** Downloads (jars, binaries), kept across restarts so that a second start is fast. */
  readonly cache: string;
  readonly data: string;
  readonly logs: string;
  readonly run: string;
}

/**
 * `stackDir` (else `LOGLAKE_STACK_DIR`, else `.stack`), relative to the repository root: a git worktree
 * sets LOGLAKE_STACK_DIR to the main checkout's `.stack` to use the stack already running there.
 */
export function stackPaths(stackDir?: string): StackPaths {
  const repo = findRepoRoot();
  const root = resolve(repo, stackDir ?? (process.env.LOGLAKE_STACK_DIR || '.stack'));
  return {
    repo,
    infra: join(repo, 'infra'),
    root,
    cache: join(root, 'cache'),
    data: join(root, 'data'),
    logs: join(root, 'logs'),
    run: join(root, 'run'),
  };
}
