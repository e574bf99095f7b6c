import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from './run-command.ts';
import { stackPaths } from './paths.ts';

/**
 * A Python virtual environment with a pinned, hash-checked requirements file installed
 * (`pip --require-hashes`), kept in the stack's cache keyed by the file's content. pip's own
 * download cache (`~/.cache/pip`) makes a rebuild after `rm -rf .stack` quick.
 * Returns the environment's python.
 */
export async function ensurePythonVenv(options: {
  readonly name: string;
  readonly requirements: string;
  readonly cacheDir: string;
  readonly logFile: string;
  readonly python?: string;
  /** Let pip build pure-Python source archives (pyspark ships no wheel); hashes still apply. */
  readonly allowSource?: boolean;
}): Promise<string> {
  const hash = createHash('sha256')
    .update(readFileSync(options.requirements))
    .digest('hex')
    .slice(0, 12);
  const dir = join(options.cacheDir, `${options.name}-${hash}`);
  const python = join(dir, 'bin', 'python');
  if (existsSync(join(dir, '.complete'))) return python;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(options.cacheDir, { recursive: true });
  try {
    await runCommand(options.python ?? 'python3', ['-m', 'venv', dir], {
      logFile: options.logFile,
      what: `creating the ${options.name} virtual environment`,
    });
    await runCommand(
      python,
      [
        '-m',
        'pip',
        'install',
        '--quiet',
        '--disable-pip-version-check',
        '--require-hashes',
        ...(options.allowSource ? [] : ['--only-binary', ':all:']),
        '-r',
        options.requirements,
      ],
      { logFile: options.logFile, what: `installing ${options.name} with pip` },
    );
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  // An empty marker says the install finished.
  mkdirSync(join(dir, '.complete'));
  return python;
}

/** PyIceberg 0.12 with pyarrow (`infra/pyiceberg/requirements.txt`), for reading tables in tests. */
export function pyIcebergPython(stackDir?: string): Promise<string> {
  const paths = stackPaths(stackDir);
  return ensurePythonVenv({
    name: 'pyiceberg',
    requirements: join(paths.infra, 'pyiceberg', 'requirements.txt'),
    cacheDir: paths.cache,
    logFile: join(paths.logs, 'pip-pyiceberg.log'),
  });
}
