/**
 * At most `limit` flushes run at once, granted in the order they were cut (a partition's earlier
 * range always runs before its later ones, so a later range waiting on an earlier one's intent can
 * never hold the slot that one needs).
 */
export class FlushSlots {
  private running = 0;
  private readonly queue: (() => void)[] = [];

  constructor(
    readonly limit: number,
    private readonly onChange: () => void = () => undefined,
  ) {}

  get inFlight(): number {
    return this.running;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** True when another cut would have to wait for a slot: fetching should pause. */
  get full(): boolean {
    return this.running + this.queue.length >= this.limit;
  }

  get idle(): boolean {
    return this.running === 0 && this.queue.length === 0;
  }

  acquire(): Promise<void> {
    if (this.running < this.limit && this.queue.length === 0) {
      this.running += 1;
      this.onChange();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.queue.push(() => {
        this.running += 1;
        resolve();
      });
      this.onChange();
    });
  }

  release(): void {
    this.running -= 1;
    this.queue.shift()?.();
    this.onChange();
  }
}
