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
  /** The script's own Node options ('' for none). */
  readonly nodeOptions: string;
}

/** `node` arguments that run `path` (a .ts file) with tsx, with `nodeOptions` of its own. */
export function scriptLaunch(path: string, nodeOptions = ''): NodeLaunch {
  return { args: ['--import', 'tsx', path], nodeOptions };
}

/**
 * The child's environment: `parent`'s (ours), then the caller's `env`. Its NODE_OPTIONS are the
 * launch's own, then the parent's, then the caller's, so that `NODE_OPTIONS=--cpu-prof pnpm bench…`
 * or a profiler flag in `env` adds to the service's flags, and a flag given there too wins.
 */
export function launchEnv(
  launch: NodeLaunch,
  env: Readonly<Record<string, string>> = {},
  parent: NodeJS.ProcessEnv = process.env,
): Record<string, string | undefined> {
  const nodeOptions = [launch.nodeOptions, parent.NODE_OPTIONS, env.NODE_OPTIONS]
    .filter((o) => o !== undefined && o !== '')
    .join(' ');
  // An undefined value is left out of the child's environment (child_process skips it).
  return { ...parent, ...env, NODE_OPTIONS: nodeOptions === '' ? undefined : nodeOptions };
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
  return { ...launch, args: [...launch.args, ...args] };
}
