/**
 * How a service's script is run by `node`, the one definition for `pnpm start`, the benches and the
 * tests: TypeScript through tsx, as the Dockerfiles do, and the service's own V8 flags in
 * NODE_OPTIONS (the service's Dockerfile sets the same).
 */
import { join } from 'node:path';

export type ServiceName = 'gateway' | 'sink' | 'generator';

/**
 * V8 flags of each service. The sink's young generation is capped at 2 MiB a semi-space: by
 * default V8 grows it to 16-32 MiB, which is mostly garbage between scavenges, and the sink's
 * garbage is many short records; capped, its peak RSS while draining a backlog is 100-180 MB
 * lower, for about 0.7 s more garbage collection per million rows (docs/benchmarks.md, issue 12).
 */
export const SERVICE_NODE_OPTIONS: Readonly<Record<ServiceName, string>> = {
  gateway: '',
  sink: '--max-semi-space-size=2',
  generator: '',
};

export interface NodeLaunch {
  /** Arguments of `node` (process.execPath). */
  readonly args: readonly string[];
  /** Environment to add to the child's (before the caller's own settings). */
  readonly env: Readonly<Record<string, string>>;
}

/**
 * `node` arguments and environment that run `path` (a .ts file) with tsx; `nodeOptions` go before
 * an inherited NODE_OPTIONS, so that `NODE_OPTIONS=--cpu-prof pnpm bench…` adds to them and a flag
 * given there too wins.
 */
export function scriptLaunch(
  path: string,
  nodeOptions = '',
  inherited = process.env.NODE_OPTIONS ?? '',
): NodeLaunch {
  const options = [nodeOptions, inherited].filter((o) => o !== '').join(' ');
  return {
    args: ['--import', 'tsx', path],
    env: options === '' ? {} : { NODE_OPTIONS: options },
  };
}

/**
 * The child's environment: ours, then the launch's, then the caller's `env`; a `NODE_OPTIONS` in
 * `env` is added after the launch's (so a profiler flag keeps the service's own flags).
 */
export function launchEnv(
  launch: NodeLaunch,
  env: Readonly<Record<string, string>> = {},
): Record<string, string | undefined> {
  const nodeOptions = [launch.env.NODE_OPTIONS, env.NODE_OPTIONS]
    .filter((o) => o !== undefined && o !== '')
    .join(' ');
  return {
    ...process.env,
    ...launch.env,
    ...env,
    ...(nodeOptions === '' ? {} : { NODE_OPTIONS: nodeOptions }),
  };
}

/** Runs `services/<service>/src/<script>` of the repository at `root` as its Dockerfile does. */
export function serviceLaunch(
  root: string,
  service: ServiceName,
  script = 'main.ts',
  args: readonly string[] = [],
): NodeLaunch {
  const launch = scriptLaunch(
    join(root, 'services', service, 'src', script),
    SERVICE_NODE_OPTIONS[service],
  );
  return { args: [...launch.args, ...args], env: launch.env };
}
