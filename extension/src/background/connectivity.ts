/**
 * Whether the server answers. Once a request finds it unreachable, a probe (GET /health) retries
 * with backoff until it answers again; nothing runs while the server is reachable.
 */
export class Connectivity {
  online = true;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private delay: number;

  constructor(
    private readonly probe: () => Promise<boolean>,
    private readonly onChange: (online: boolean) => void,
    private readonly delays = { firstMs: 1_000, maxMs: 10_000 },
  ) {
    this.delay = delays.firstMs;
  }

  unreachable(): void {
    if (this.online) {
      this.online = false;
      this.onChange(false);
    }
    this.schedule();
  }

  reachable(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.delay = this.delays.firstMs;
    if (!this.online) {
      this.online = true;
      this.onChange(true);
    }
  }

  /** Try now (the browser says it is back online, or someone is waiting on a send). */
  async check(): Promise<boolean> {
    const ok = await this.probe().catch(() => false);
    if (ok) this.reachable();
    else this.unreachable();
    return ok;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(async () => {
      this.timer = null;
      if (await this.probe().catch(() => false)) this.reachable();
      else {
        this.delay = Math.min(this.delay * 2, this.delays.maxMs);
        this.schedule();
      }
    }, this.delay);
  }
}
