import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';

/**
 * The loop every background worker runs: do a round of work, and when there was none, wait
 * for a wake-up (new work in this process) or a short poll (work from another instance).
 */
export class PollingLoop {
  private stopped = false;
  private wakeUp: (() => void) | null = null;
  private running: Promise<void> | null = null;

  constructor(
    /** One round of work; true when it did something (then the next round starts at once). */
    private readonly round: () => Promise<boolean>,
    private readonly idleMs: number,
    private readonly onError: (error: Error) => void,
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
    while (!this.stopped) {
      let busy = false;
      try {
        busy = await this.round();
      } catch (error) {
        this.onError(error as Error);
      }
      if (busy || this.stopped) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.idleMs);
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
