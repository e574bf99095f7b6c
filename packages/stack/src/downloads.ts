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
  /**
   * A `sha256sum` listing (`<hex>  <file>.jar` per line): the copied jars must be exactly these,
   * byte for byte, or nothing is cached. Maven itself only checks Central's SHA-1 files.
   */
  readonly sha256File?: string;
}): Promise<string> {
  const hash = createHash('sha256').update(readFileSync(options.pom));
  if (options.sha256File) hash.update(readFileSync(options.sha256File));
  const dir = join(options.cacheDir, `${options.name}-${hash.digest('hex').slice(0, 12)}`);
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
  if (options.sha256File) verifyJars(tmp, options.sha256File);
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

/** Throws unless `dir` holds exactly the jars `sha256File` lists, with those SHA-256 sums. */
export function verifyJars(dir: string, sha256File: string): void {
  const expected = new Map<string, string>();
  for (const line of readFileSync(sha256File, 'utf8').split('\n')) {
    const m = /^([0-9a-f]{64})\s+\*?(\S+)$/.exec(line.trim());
    if (m?.[1] && m[2]) expected.set(m[2], m[1]);
  }
  const found = readdirSync(dir).filter((f) => f.endsWith('.jar'));
  const problems: string[] = [];
  for (const file of found) {
    const want = expected.get(file);
    if (want === undefined) {
      problems.push(`${file} is not listed`);
      continue;
    }
    const got = createHash('sha256')
      .update(readFileSync(join(dir, file)))
      .digest('hex');
    if (got !== want) problems.push(`${file} has sha256 ${got}, expected ${want}`);
  }
  for (const file of expected.keys())
    if (!found.includes(file)) problems.push(`${file} is missing`);
  if (problems.length > 0) {
    throw new Error(`jars in ${dir} do not match ${sha256File}:\n  ${problems.join('\n  ')}`);
  }
}
