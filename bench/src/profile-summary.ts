/**
 * `tsx bench/src/profile-summary.ts <file.cpuprofile> [top]`: where a V8 CPU profile (node --cpu-prof)
 * spends its time: self time by function and by package/file, and total (inclusive) time of the
 * sink's own functions. For docs/benchmarks.md.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  readonly hitCount?: number;
  readonly children?: readonly number[];
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-summary <file.cpuprofile> [top]');
const top = Number(topArg ?? 25);
const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
p.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
const totalUs = p.endTime - p.startTime;

function where(n: ProfileNode): string {
  const url = n.callFrame.url;
  const pkg = /node_modules\/(?:\.pnpm\/)?((?:@[^/]+\/)?[^/@]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  const own = /\/(packages|services)\/([^/]+)\/src\/(.+)$/.exec(url);
  if (own) return `${own[2]}/${own[3]}`;
  if (url.startsWith('node:')) return url;
  return url === '' ? `(${n.callFrame.functionName || 'native'})` : url;
}
const label = (n: ProfileNode) =>
  `${n.callFrame.functionName || '(anonymous)'} ${where(n)}:${n.callFrame.lineNumber + 1}`;

function table(m: Map<string, number>, title: string): void {
  const rows = [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  console.log(`\n${title}`);
  for (const [k, us] of rows)
    console.log(
      `${((us / totalUs) * 100).toFixed(1).padStart(5)}%  ${(us / 1e6).toFixed(2).padStart(6)} s  ${k}`,
    );
}

const byFn = new Map<string, number>();
const byWhere = new Map<string, number>();
for (const [id, us] of selfUs) {
  const n = byId.get(id);
  if (!n) continue;
  byFn.set(label(n), (byFn.get(label(n)) ?? 0) + us);
  byWhere.set(where(n), (byWhere.get(where(n)) ?? 0) + us);
}
// Inclusive time of each function (counted once per sample even when recursive).
const parent = new Map<number, number>();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const inclusive = new Map<string, number>();
for (const [id, us] of selfUs) {
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const n = byId.get(cur);
    if (!n) break;
    const l = label(n);
    if (seen.has(l)) continue;
    seen.add(l);
    inclusive.set(l, (inclusive.get(l) ?? 0) + us);
  }
}
const ownInclusive = new Map(
  [...inclusive].filter(([l]) => / (lake|kafka|events)\//.test(l) || / kafkajs/.test(l)),
);
console.log(`profile ${file}: ${(totalUs / 1e6).toFixed(1)} s of main-thread wall time`);
table(byWhere, 'self time by package / file');
table(byFn, 'self time by function');
table(ownInclusive, 'total time (self + callees) of loglake and kafkajs functions');
