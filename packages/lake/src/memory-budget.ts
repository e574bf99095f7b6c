/**
 * Bytes of record values the sink holds (open ranges, and cut ranges not yet encoded), against a
 * budget. Each holder owns a `Hold` and gives back exactly what it took, once.
 */
export class MemoryBudget {
  private held = 0;

  constructor(
    readonly limit: number,
    private readonly onChange: (held: number) => void = () => undefined,
  ) {}

  get bytes(): number {
    return this.held;
  }

  get over(): boolean {
    return this.held > this.limit;
  }

  hold(): Hold {
    return new Hold(this);
  }

  /** @internal Used by Hold only. */
  adjust(delta: number): void {
    this.held += delta;
    this.onChange(this.held);
  }
}

export class Hold {
  private amount = 0;

  constructor(private readonly budget: MemoryBudget) {}

  get bytes(): number {
    return this.amount;
  }

  add(bytes: number): void {
    this.amount += bytes;
    this.budget.adjust(bytes);
  }

  /** Moves what this hold has into a new hold (a range changing hands at a cut). */
  take(): Hold {
    const next = new Hold(this.budget);
    next.amount = this.amount;
    this.amount = 0;
    return next;
  }

  /** Gives everything back; a second call gives back nothing. */
  release(): void {
    if (this.amount === 0) return;
    const amount = this.amount;
    this.amount = 0;
    this.budget.adjust(-amount);
  }
}
