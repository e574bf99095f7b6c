/** The seeded fault plan: which fault when, on which victim, for how long. */

export type FaultKind =
  'gateway-kill' | 'sink-kill' | 'sink-term' | 'sink-freeze' | 's3-stop' | 'broker-kill';

export interface PlannedFault {
  readonly n: number;
  readonly kind: FaultKind;
  /** Which sink (0 or 1) or which broker node id; 0 when the kind has no choice. */
  readonly victim: number;
  /** How long the victim stays down (s3-stop, broker-kill) or frozen at least (sink-freeze); 0 otherwise. */
  readonly downMs: number;
  /** When it is due, ms after the load started. */
  readonly dueMs: number;
}

/** Session timeout the sinks get, and how long a freeze lasts at least (longer than the session). */
export const SINK_SESSION_TIMEOUT_MS = 10_000;
export const FREEZE_MS = 15_000;

/** mulberry32: a small, well-mixed 32-bit generator; same seed, same sequence. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function faultKinds(three: boolean): FaultKind[] {
  const kinds: FaultKind[] = ['gateway-kill', 'sink-kill', 'sink-term', 'sink-freeze', 's3-stop'];
  return three ? [...kinds, 'broker-kill'] : kinds;
}

/** One fault every `intervalMs`, starting one interval into the load and due before it ends. */
export function planFaults(options: {
  readonly seed: number;
  readonly durationMs: number;
  readonly intervalMs: number;
  readonly three: boolean;
}): PlannedFault[] {
  const random = seededRandom(options.seed);
  const kinds = faultKinds(options.three);
  const pick = (n: number) => Math.min(n - 1, Math.floor(random() * n));
  const between = (lo: number, hi: number) => Math.round(lo + random() * (hi - lo));
  const plan: PlannedFault[] = [];
  for (let due = options.intervalMs; due < options.durationMs; due += options.intervalMs) {
    const kind = kinds[pick(kinds.length)] as FaultKind;
    const victim = kind === 'broker-kill' ? 1 + pick(3) : kind.startsWith('sink-') ? pick(2) : 0;
    const downMs =
      kind === 's3-stop'
        ? between(10_000, 20_000)
        : kind === 'broker-kill'
          ? between(15_000, 30_000)
          : kind === 'sink-freeze'
            ? FREEZE_MS
            : 0;
    plan.push({ n: plan.length + 1, kind, victim, downMs, dueMs: due });
  }
  return plan;
}
