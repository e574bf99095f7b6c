import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  killKafkaNode,
  nodeName,
  startKafkaNode,
  type KafkaClusterSpec,
  type StackPaths,
} from '@loglake/stack';

/**
 * One node of a stack cluster as a process: SIGKILL (a crash), SIGTERM (a restart: controlled
 * shutdown), SIGSTOP/SIGCONT of its process group (a stalled host) and a start again. The stack
 * starts each node detached, so its pid is also its process group.
 */
export class KafkaNode {
  constructor(
    private readonly paths: StackPaths,
    private readonly spec: KafkaClusterSpec,
    readonly id: number,
  ) {}

  get name(): string {
    return nodeName(this.spec, this.id);
  }

  /** The node's running pid (its pid file, checked against the command line), or null. */
  pid(): number | null {
    const file = join(this.paths.run, `${this.name}.pid`);
    if (!existsSync(file)) return null;
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return null;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      return cmdline.includes(join(this.paths.data, this.name, 'server.properties')) ? pid : null;
    } catch {
      return null; // gone
    }
  }

  /** SIGKILL; resolves when the process is gone. */
  async kill(): Promise<void> {
    if (!(await killKafkaNode(this.paths, this.spec, this.id)))
      throw new Error(`${this.name} was not running`);
  }

  /** SIGTERM (Kafka's controlled shutdown); resolves when the process has exited. */
  async terminate(timeoutMs = 60_000): Promise<void> {
    const pid = this.requirePid();
    this.signalGroup(pid, 'SIGCONT');
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + timeoutMs;
    while (this.pid() !== null) {
      if (Date.now() > deadline)
        throw new Error(`${this.name} still runs ${timeoutMs} ms after SIGTERM`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** SIGSTOP to every thread of the node. */
  freeze(): void {
    this.signalGroup(this.requirePid(), 'SIGSTOP');
  }

  /** SIGCONT; harmless when not frozen or not running. */
  thaw(): void {
    const pid = this.pid();
    if (pid !== null) this.signalGroup(pid, 'SIGCONT');
  }

  /** Starts the node again and resolves once it answers metadata with every node registered. */
  async start(log: (m: string) => void): Promise<void> {
    await startKafkaNode({ paths: this.paths, timeoutMs: 120_000, log }, this.spec, this.id);
  }

  private requirePid(): number {
    const pid = this.pid();
    if (pid === null) throw new Error(`${this.name} is not running`);
    return pid;
  }

  private signalGroup(pid: number, signal: NodeJS.Signals): void {
    try {
      process.kill(-pid, signal);
    } catch {
      process.kill(pid, signal); // not a group leader after all
    }
  }
}
