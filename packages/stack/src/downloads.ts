import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from './run-command.ts';

/**
 * Copies the runtime jars a pom names into the cache, keyed by the pom's content,
 * so that a second start does not run Maven at all.
 */
export async function ensureMavenJars(options: {
  readonly name: string;
  readonly pom: string;
  readonly cacheDir: string;
  readonly logFile: string;
}): Promise<string> {
  const hash = createHash('sha256').update(readFileSync(options.pom)).digest('hex').slice(0, 12);
  const dir = join(options.cacheDir, `${options.name}-${hash}`);
  if (existsSync(join(dir, '.complete'))) return dir;
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  await runCommand(
    'mvn',
    [
      '-B',
      '-q',
      '-f',
      options.pom,
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${tmp}`,
    ],
    { logFile: options.logFile, what: `fetching ${options.name} jars with Maven` },
  );
  if (readdirSync(tmp).filter((f) => f.endsWith('.jar')).length === 0) {
    throw new Error(`Maven copied no jars for ${options.name}; see ${options.logFile}`);
  }
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  // An empty marker says the copy finished.
  mkdirSync(join(dir, '.complete'));
  return dir;
}

/** Builds a Go command with `go install module@version` into the cache, once per version. */
export async function ensureGoBinary(options: {
  readonly name: string;
  readonly module: string;
  readonly version: string;
  readonly cacheDir: string;
  readonly logFile: string;
}): Promise<string> {
  const binDir = join(options.cacheDir, `${options.name}-${options.version}`);
  const bin = join(binDir, options.name);
  if (existsSync(bin)) return bin;
  mkdirSync(binDir, { recursive: true });
  await runCommand('go', ['install', `${options.module}@${options.version}`], {
    logFile: options.logFile,
    what: `building ${options.name} ${options.version} with go install`,
    env: { ...process.env, GOBIN: binDir, GOFLAGS: '-mod=mod', CGO_ENABLED: '0' },
  });
  return bin;
}
