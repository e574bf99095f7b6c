/** CPU time and memory of processes, from Linux's /proc. */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICKS_PER_S = 100;

function statFields(pid: number | 'self'): string[] {
  // The command name (field 2) may hold spaces; everything after its ") " is space-separated.
  return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
}

/** `pid` and its live descendants (a gateway's workers). */
function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i += 1) {
    const p = out[i] ?? 0;
    try {
      const children = readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim();
      if (children !== '') out.push(...children.split(/\s+/).map(Number));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** User + system CPU seconds of a running process and its live descendants, all threads included. */
export function cpuSeconds(pid: number): number {
  let ticks = 0;
  for (const p of processTree(pid)) {
    try {
      const f = statFields(p);
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // exited meanwhile
    }
  }
  return ticks / TICKS_PER_S;
}

/**
 * User + system CPU seconds of this process's children that have exited and been waited for.
 * The difference across a child's lifetime is that child's CPU time.
 */
export function exitedChildrenCpuSeconds(): number {
  const f = statFields('self');
  return (Number(f[13]) + Number(f[14])) / TICKS_PER_S;
}

function statusKb(pid: number, key: 'VmHWM' | 'VmRSS'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${key}:`));
  return Number(line?.split(/\s+/)[1] ?? 0);
}

/**
 * Peak resident set size of a running process since it started (VmHWM), in MB; with descendants,
 * the sum of their peaks (an upper bound of their peak together).
 */
export function peakRssMb(pid: number): number {
  let kb = 0;
  for (const p of processTree(pid)) {
    try {
      kb += statusKb(p, 'VmHWM');
    } catch {
      // exited meanwhile
    }
  }
  return Math.round(kb / 1024);
}

/** CPU seconds the whole machine spent busy (all cores), and stolen by the hypervisor, from /proc/stat. */
export function machineCpuSeconds(): { busy: number; steal: number } {
  const f = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
    .split(/\s+/)
    .slice(1)
    .map(Number);
  // user nice system idle iowait irq softirq steal …
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
  return { busy: (user + nice + system + irq + softirq) / TICKS_PER_S, steal: steal / TICKS_PER_S };
}

/** Counts the machine's busy cores from now; `read()` gives the average since. */
export function machineMeter(): { read(): { busy_cores: number; steal_cores: number } } {
  const c0 = machineCpuSeconds();
  const t0 = performance.now();
  return {
    read: () => {
      const c = machineCpuSeconds();
      const s = (performance.now() - t0) / 1000;
      return {
        busy_cores: round((c.busy - c0.busy) / s, 2),
        steal_cores: round((c.steal - c0.steal) / s, 2),
      };
    },
  };
}

export interface ProcessUsage {
  readonly cpu_s: number;
  /** Peak RSS since the process started (each service is started afresh for each run). */
  readonly peak_rss_mb: number;
}

/** Starts counting a running process's CPU; `read()` gives the CPU since then and the peak RSS so far. */
export function meter(pid: number): { read(): ProcessUsage } {
  const cpu0 = cpuSeconds(pid);
  return {
    read: () => ({ cpu_s: round(cpuSeconds(pid) - cpu0, 2), peak_rss_mb: peakRssMb(pid) }),
  };
}

/** CPU seconds per million events, the unit that compares runs of different rates. */
export function perMillion(cpuS: number, events: number): number | null {
  return events > 0 ? round((cpuS * 1e6) / events, 1) : null;
}

export function round(x: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
