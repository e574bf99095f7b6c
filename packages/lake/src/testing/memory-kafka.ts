/**
 * An in-memory stand-in for loglake's own Kafka interfaces (`KafkaConsumer`, `KafkaAdmin`,
 * `KafkaProducer`), for unit tests of the sink. It mimics the kafkajs behaviours the sink depends on:
 * batches handed out one at a time; `resolveOffset` moves the fetch position and what is not resolved
 * is fetched again; `seek` applies at the next fetch and makes the batch in hand stale; pause survives
 * a rejoin; a rejoin restarts every assigned partition at its committed offset; commits are accepted
 * from any member, owner or not (kafkajs #1046); an offset below the log start reads from the log
 * start. Rebalances are driven by the test (`assign`), so a member that is not told is a zombie.
 */
import type {
  Assignment,
  BatchControls,
  CommitOffset,
  CommittedOffset,
  ConsumedBatch,
  ConsumedRecord,
  KafkaAdmin,
  KafkaConsumer,
  KafkaProducer,
  PartitionOffsets,
  ProducerRecord,
} from '@loglake/kafka';

interface StoredRecord {
  readonly offset: bigint;
  readonly value: Buffer | null;
}

export class MemoryBroker {
  readonly topic: string;
  private readonly logs = new Map<number, StoredRecord[]>();
  private readonly starts = new Map<number, bigint>();
  private readonly ends = new Map<number, bigint>();
  readonly committed = new Map<number, { offset: bigint; metadata: string | null }>();
  readonly commitLog: { member: string; partition: number; offset: bigint }[] = [];
  readonly deadLetters: ProducerRecord[] = [];

  constructor(
    topic: string,
    readonly partitions: number,
  ) {
    this.topic = topic;
    for (let p = 0; p < partitions; p += 1) {
      this.logs.set(p, []);
      this.starts.set(p, 0n);
      this.ends.set(p, 0n);
    }
  }

  /** Appends values; `skip` leaves a hole of that many offsets before each (transaction markers). */
  produce(partition: number, values: readonly (string | Buffer | null)[], skip = 0): void {
    const log = this.logs.get(partition) as StoredRecord[];
    let end = this.ends.get(partition) as bigint;
    for (const v of values) {
      end += BigInt(skip);
      log.push({ offset: end, value: typeof v === 'string' ? Buffer.from(v) : v });
      end += 1n;
    }
    this.ends.set(partition, end);
  }

  /** DeleteRecords: the log starts at `before` from now on. */
  deleteRecords(partition: number, before: bigint): void {
    this.starts.set(partition, before);
    this.logs.set(
      partition,
      (this.logs.get(partition) as StoredRecord[]).filter((r) => r.offset >= before),
    );
  }

  logStart(partition: number): bigint {
    return this.starts.get(partition) as bigint;
  }

  logEnd(partition: number): bigint {
    return this.ends.get(partition) as bigint;
  }

  /** Records at or after `from`, at most `max`. */
  read(partition: number, from: bigint, max: number): StoredRecord[] {
    const log = this.logs.get(partition) as StoredRecord[];
    const out: StoredRecord[] = [];
    for (const r of log) {
      if (r.offset < from) continue;
      out.push(r);
      if (out.length >= max) break;
    }
    return out;
  }

  commit(member: string, partition: number, offset: bigint, metadata: string | null): void {
    this.committed.set(partition, { offset, metadata });
    this.commitLog.push({ member, partition, offset });
  }

  /** True when every partition's committed offset is its log end. */
  allCommitted(): boolean {
    for (let p = 0; p < this.partitions; p += 1) {
      if (this.committed.get(p)?.offset !== this.logEnd(p)) return false;
    }
    return true;
  }

  admin(): KafkaAdmin {
    const unused = () => Promise.reject(new Error('not used by the sink'));
    return {
      connect: async () => undefined,
      disconnect: async () => undefined,
      describeCluster: unused,
      listTopics: async () => [this.topic, `${this.topic}-dlq`],
      ensureTopic: unused,
      deleteTopics: unused,
      partitions: unused,
      deleteGroups: unused,
      deleteRecords: async (_topic, partition, before) =>
        this.deleteRecords(partition, BigInt(before)),
      topicOffsets: async (): Promise<PartitionOffsets[]> =>
        [...this.logs.keys()].map((p) => ({
          partition: p,
          low: this.logStart(p).toString(),
          high: this.logEnd(p).toString(),
        })),
      committedOffsets: async (): Promise<CommittedOffset[]> =>
        [...this.logs.keys()].map((p) => {
          const c = this.committed.get(p);
          return {
            partition: p,
            offset: c ? c.offset.toString() : '-1',
            metadata: c?.metadata ?? null,
          };
        }),
    };
  }

  dlqProducer(): KafkaProducer {
    return {
      connect: async () => undefined,
      disconnect: async () => undefined,
      send: async (_topic, records) => {
        for (const r of records) {
          if ('topic' in r) throw new Error('the sink sends records, not prebuilt messages');
          this.deadLetters.push(r);
        }
        return [];
      },
    };
  }
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One group member. Its partitions change only when the test calls `assign`. */
export class MemoryConsumer implements KafkaConsumer {
  private assigned: number[] = [];
  private memberId: string;
  private readonly positions = new Map<number, bigint>();
  private readonly resolved = new Map<number, bigint>();
  private readonly seeks = new Map<number, bigint>();
  readonly pausedPartitions = new Set<number>();
  private joinListeners: ((a: Assignment, memberId: string) => void)[] = [];
  private running = false;
  private loop: Promise<void> | null = null;
  private rejoinPending: { partitions: number[]; memberId: string } | null = null;
  /** Longest time one call of the batch handler took, ms: the sink must never wait inside a batch. */
  maxHandlerMs = 0;
  heartbeats = 0;
  batchSize = 5;

  constructor(
    private readonly broker: MemoryBroker,
    readonly name: string,
  ) {
    this.memberId = `${name}-1`;
  }

  get partitions(): readonly number[] {
    return this.assigned;
  }

  /**
   * A rebalance: with `evicted`, the member comes back under a new member id. The new assignment
   * takes effect at the next fetch, as in kafkajs (a heartbeat during a batch would fail first).
   */
  assign(partitions: readonly number[], options: { evicted?: boolean } = {}): void {
    if (options.evicted)
      this.memberId = `${this.name}-${Number(this.memberId.split('-').at(-1)) + 1}`;
    this.rejoinPending = { partitions: [...partitions], memberId: this.memberId };
  }

  private rejoin(): void {
    const pending = this.rejoinPending;
    if (!pending) return;
    this.rejoinPending = null;
    this.assigned = pending.partitions;
    this.positions.clear();
    this.resolved.clear();
    this.seeks.clear();
    for (const p of this.assigned) {
      const c = this.broker.committed.get(p);
      this.positions.set(p, c ? c.offset : this.broker.logStart(p));
    }
    const assignment: Assignment = { [this.broker.topic]: [...this.assigned] };
    for (const l of this.joinListeners) l(assignment, pending.memberId);
  }

  connect = async (): Promise<void> => undefined;
  subscribe = async (): Promise<void> => undefined;

  async disconnect(): Promise<void> {
    await this.stop();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  run(handler: (batch: ConsumedBatch, controls: BatchControls) => Promise<void>): Promise<void> {
    this.running = true;
    this.loop = this.fetchLoop(handler);
    return Promise.resolve();
  }

  private async fetchLoop(
    handler: (batch: ConsumedBatch, controls: BatchControls) => Promise<void>,
  ): Promise<void> {
    while (this.running) {
      this.rejoin();
      let delivered = false;
      for (const p of this.assigned) {
        if (!this.running || this.rejoinPending) break;
        const seek = this.seeks.get(p);
        if (seek !== undefined) {
          this.positions.set(p, seek);
          this.seeks.delete(p);
          this.resolved.delete(p);
        }
        if (this.pausedPartitions.has(p)) continue;
        let from = this.positions.get(p) ?? 0n;
        if (from < this.broker.logStart(p)) from = this.broker.logStart(p);
        const stored = this.broker.read(p, from, this.batchSize);
        if (stored.length === 0) continue;
        delivered = true;
        const records: ConsumedRecord[] = stored.map((r) => ({
          offset: r.offset.toString(),
          key: null,
          value: r.value,
          timestamp: '0',
        }));
        const started = performance.now();
        try {
          await handler(
            {
              topic: this.broker.topic,
              partition: p,
              highWatermark: this.broker.logEnd(p).toString(),
              records,
            },
            {
              heartbeat: async () => {
                this.heartbeats += 1;
                if (this.rejoinPending) throw new Error('REBALANCE_IN_PROGRESS');
              },
              resolveOffset: (offset) => this.resolved.set(p, BigInt(offset)),
              isRunning: () => this.running,
              isStale: () => this.seeks.has(p),
            },
          );
        } catch {
          // kafkajs: an error in the handler makes the member rejoin.
          this.rejoinPending ??= { partitions: [...this.assigned], memberId: this.memberId };
        }
        this.maxHandlerMs = Math.max(this.maxHandlerMs, performance.now() - started);
        const r = this.resolved.get(p);
        if (r !== undefined && !this.seeks.has(p)) this.positions.set(p, r + 1n);
        this.resolved.delete(p);
      }
      this.heartbeats += 1;
      await (delivered ? tick() : sleep(2));
    }
  }

  async commit(offsets: readonly CommitOffset[]): Promise<void> {
    for (const o of offsets)
      this.broker.commit(this.name, o.partition, BigInt(o.offset), o.metadata ?? null);
  }

  pause(_topic: string, partitions?: readonly number[]): void {
    for (const p of partitions ?? this.assigned) this.pausedPartitions.add(p);
  }

  resume(_topic: string, partitions?: readonly number[]): void {
    for (const p of partitions ?? this.assigned) this.pausedPartitions.delete(p);
  }

  seek(_topic: string, partition: number, offset: string): void {
    this.seeks.set(partition, BigInt(offset));
  }

  onGroupJoin(listener: (assignment: Assignment, memberId: string) => void): void {
    this.joinListeners.push(listener);
  }

  onCrash(): void {}
}
