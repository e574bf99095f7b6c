/** Token buckets of events per second, one per API key (the keys are configured, so the map is bounded). */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    /** Events per second; 0 turns the limit off. */
    readonly ratePerS: number,
    /** Largest burst, in events. */
    readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes `n` tokens; returns 0 when allowed, else the seconds until they would be there. */
  take(key: string, n: number): number {
    if (this.ratePerS <= 0) return 0;
    const t = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: t };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((t - bucket.at) / 1000) * this.ratePerS);
    bucket.at = t;
    this.buckets.set(key, bucket);
    if (n <= bucket.tokens) {
      bucket.tokens -= n;
      return 0;
    }
    // A request larger than the burst could never pass: it is told to wait a full refill.
    const missing = Math.min(n, this.burst) - bucket.tokens;
    return Math.max(1, Math.ceil(missing / this.ratePerS));
  }
}
