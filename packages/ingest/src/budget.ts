/**
 * The bytes and events accepted into the gateway but not yet acknowledged by Kafka.
 * A request that does not fit is refused at once (503) instead of queueing without limit.
 */
export class InFlightBudget {
  private bytes = 0;
  private events = 0;

  constructor(
    readonly maxBytes: number,
    readonly maxEvents: number,
  ) {}

  tryAcquire(bytes: number, events: number): boolean {
    if (this.bytes + bytes > this.maxBytes || this.events + events > this.maxEvents) return false;
    this.bytes += bytes;
    this.events += events;
    return true;
  }

  release(bytes: number, events: number): void {
    this.bytes -= bytes;
    this.events -= events;
  }

  get usedBytes(): number {
    return this.bytes;
  }

  get usedEvents(): number {
    return this.events;
  }
}
