/**
 * Whether Kafka is taking writes, as the gateway last saw it. After a failed produce the
 * gateway answers 503 at once instead of holding requests, until a probe or a produce succeeds.
 */
export class KafkaHealth {
  private up = true;
  private lastError: string | null = null;
  private probing: NodeJS.Timeout | null = null;
  private probeRunning = false;

  constructor(
    private readonly probe: () => Promise<void>,
    private readonly probeIntervalMs: number,
    private readonly onChange: (up: boolean, reason: string | null) => void = () => undefined,
  ) {}

  get isUp(): boolean {
    return this.up;
  }

  get reason(): string | null {
    return this.lastError;
  }

  markSuccess(): void {
    if (this.up) return;
    this.up = true;
    this.lastError = null;
    this.stopProbing();
    this.onChange(true, null);
  }

  markFailure(reason: string): void {
    this.lastError = reason;
    if (!this.up) return;
    this.up = false;
    this.onChange(false, reason);
    this.probing = setInterval(() => {
      if (this.probeRunning) return;
      this.probeRunning = true;
      this.probe()
        .then(
          () => this.markSuccess(),
          (error: unknown) => {
            this.lastError = error instanceof Error ? error.message : String(error);
          },
        )
        .finally(() => {
          this.probeRunning = false;
        });
    }, this.probeIntervalMs);
    this.probing.unref();
  }

  stopProbing(): void {
    if (this.probing) clearInterval(this.probing);
    this.probing = null;
  }
}
