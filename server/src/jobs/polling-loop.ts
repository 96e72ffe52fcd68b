import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { backoffMs } from '../db/unavailable.js';

/**
 * The loop every background worker runs: do a round of work, and when there was none, wait
 * for a wake-up (new work in this process) or a short poll (work from another instance).
 * A round that fails (the database restarting) is retried with exponential backoff.
 */
export class PollingLoop {
  private stopped = false;
  private wakeUp: (() => void) | null = null;
  private running: Promise<void> | null = null;

  constructor(
    /** One round of work; true when it did something (then the next round starts at once). */
    private readonly round: () => Promise<boolean>,
    private readonly idleMs: number,
    /** `failures`: how many rounds in a row have failed, this one included. */
    private readonly onError: (error: Error, failures: number) => void,
  ) {}

  get isStopped(): boolean {
    return this.stopped;
  }

  start(): void {
    this.running ??= this.run();
  }

  wake(): void {
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeUp?.();
    await this.running;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      let busy = false;
      try {
        busy = await this.round();
        failures = 0;
      } catch (error) {
        failures += 1;
        this.onError(error as Error, failures);
      }
      if (busy || this.stopped) continue;
      const wait = failures ? Math.max(this.idleMs, backoffMs(failures - 1)) : this.idleMs;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        timer.unref();
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeUp = null;
    }
  }
}

/** Names a worker in claims (`host:pid:random`), so a restart on the same host can tell its dead claims. */
export function workerInstanceId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
