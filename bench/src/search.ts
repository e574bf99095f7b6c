/** The search for the highest rate a scenario sustains: short probes, then a long confirmation. */

export interface Judged {
  readonly target_rate: number;
  readonly pass: boolean;
}

export interface SearchResult<R extends Judged> {
  readonly probes: readonly R[];
  readonly confirms: readonly R[];
  /** The rate the last confirmation sustained, or null if none did. */
  readonly sustained_rate: number | null;
}

export const SEARCH_RULE =
  'start from the fixed runs (highest passing rate = low, lowest failing rate above it = high); ' +
  'probe upward at 1.5× low while no rate has failed, otherwise at the midpoint of low and high, ' +
  'until high − low ≤ 10% of low or the probes run out; then run the highest passing rate for the ' +
  'sustain length, stepping down 15% after each failed confirmation.';

const STEP = 1000;
const snap = (rate: number) => Math.max(STEP, Math.round(rate / STEP) * STEP);

/** The next rate to probe, or null when the bracket is narrow enough. */
export function nextProbe(low: number | null, high: number | null): number | null {
  if (low === null) {
    const next = snap((high ?? 2 * STEP) / 2);
    return high !== null && next >= high ? null : next;
  }
  if (high === null) return snap(low * 1.5);
  if (high - low <= Math.max(STEP, 0.1 * low)) return null;
  const next = snap((low + high) / 2);
  return next > low && next < high ? next : null;
}

export async function searchSustained<R extends Judged>(options: {
  readonly known: readonly R[];
  readonly probe: (rate: number) => Promise<R>;
  readonly confirm: (rate: number) => Promise<R>;
  readonly maxProbes: number;
  readonly maxConfirms: number;
}): Promise<SearchResult<R>> {
  const passing = options.known.filter((r) => r.pass).map((r) => r.target_rate);
  let low = passing.length > 0 ? Math.max(...passing) : null;
  const failingAbove = options.known
    .filter((r) => !r.pass && (low === null || r.target_rate > low))
    .map((r) => r.target_rate);
  let high = failingAbove.length > 0 ? Math.min(...failingAbove) : null;
  const probes: R[] = [];
  while (probes.length < options.maxProbes) {
    const rate = nextProbe(low, high);
    if (rate === null) break;
    const r = await options.probe(rate);
    probes.push(r);
    if (r.pass) low = rate;
    else high = rate;
  }
  const confirms: R[] = [];
  let candidate = low;
  while (candidate !== null && confirms.length < options.maxConfirms) {
    const r = await options.confirm(candidate);
    confirms.push(r);
    if (r.pass) return { probes, confirms, sustained_rate: candidate };
    const lower = snap(candidate * 0.85);
    candidate = lower < candidate ? lower : null;
  }
  return { probes, confirms, sustained_rate: null };
}
