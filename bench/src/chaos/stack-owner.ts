/**
 * Which checkout's stack holds the shared ports. The local stack keeps pid files in the `.stack` of
 * the checkout that started it; other engineers' checkouts use the same ports. A chaos run must stop
 * and start the very processes that serve, so it finds them by port and works in their stack folder.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/** Inodes of sockets listening on 127.0.0.1/0.0.0.0:`port` (from /proc/net/tcp). */
function listeningInodes(port: number): Set<string> {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is f[1] (ADDR:PORT), state f[3] (0A = LISTEN), inode f[9].
      if (f[1]?.endsWith(`:${hex}`) && f[3] === '0A' && f[9]) inodes.add(f[9]);
    }
  }
  return inodes;
}

/** The pid of the process listening on `port`, or null when none (or it cannot be seen). */
export function listenerPid(port: number): number | null {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return null;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${entry}/fd/${fd}`));
        if (m?.[1] && inodes.has(m[1])) return Number(entry);
      } catch {
        // closed meanwhile
      }
    }
  }
  return null;
}

/**
 * The stack folder (`…/.stack`) of the process serving `port`, from its command line
 * (`…/.stack/data/s3` for versitygw, `…/.stack/data/kafka-1/server.properties` for Kafka),
 * or null when the port is free. Throws when a process that is not the stack's holds it.
 */
export function stackDirServing(port: number): string | null {
  const pid = listenerPid(port);
  if (pid === null) return null;
  let cmdline = '';
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return null;
  }
  const m = /(\/\S+)\/data\/(?:s3|kafka[\w-]*)\b/.exec(cmdline);
  if (!m?.[1])
    throw new Error(`port ${port} is held by pid ${pid}, not a loglake stack: ${cmdline}`);
  return m[1];
}

/** The one stack folder serving all of `ports`, or null when none is served yet. */
export function servingStackDir(ports: readonly number[]): string | null {
  const dirs = new Set(ports.map(stackDirServing).filter((d): d is string => d !== null));
  if (dirs.size > 1)
    throw new Error(`the stack's ports are served from several checkouts: ${[...dirs].join(', ')}`);
  return [...dirs][0] ?? null;
}
