/**
 * Outbound webhooks the way Twilio sends them: form-encoded POSTs signed with X-Twilio-Signature,
 * sent later than the API answer, retried on network errors and 5xx. Every piece of deferred work
 * is tracked so tests await `settle()` instead of sleeping.
 */
import { randomUUID } from 'node:crypto';
import twilio from 'twilio';

/** Runs `task` after about `delayMs`. Tests pass `immediateScheduler` (or their own). */
export type Scheduler = (task: () => void, delayMs: number) => void;

export const timerScheduler: Scheduler = (task, delayMs) => {
  setTimeout(task, delayMs).unref();
};

/** Ignores the delay: the work runs on the next turn of the event loop, after the API answered. */
export const immediateScheduler: Scheduler = (task) => {
  setImmediate(task);
};

export type WebhookDelivery = {
  kind: 'status' | 'inbound';
  url: string;
  params: Record<string, string>;
  signature: string;
  attempts: number;
  /** The last HTTP status, or null when no attempt got an answer. */
  status: number | null;
  error: string | null;
  responseBody: string | null;
};

export class DeferredWork {
  private readonly pending = new Set<Promise<unknown>>();
  private stopped = false;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly log: (line: string) => void,
  ) {}

  /** Runs `task` after `delayMs` through the scheduler; a no-op once stopped. */
  later(delayMs: number, task: () => Promise<unknown> | unknown): void {
    this.track(
      new Promise<void>((resolve) => {
        this.scheduler(() => {
          if (this.stopped) return resolve();
          Promise.resolve()
            .then(task)
            .catch((error: unknown) => this.log(`deferred task failed: ${(error as Error).message}`))
            .finally(resolve);
        }, delayMs);
      }),
    );
  }

  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => this.scheduler(resolve, delayMs));
  }

  track<T>(work: Promise<T>): Promise<T> {
    this.pending.add(work);
    const forget = () => this.pending.delete(work);
    work.then(forget, forget);
    return work;
  }

  /** Resolves once nothing is pending, including work that pending work scheduled. */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  get isStopped() {
    return this.stopped;
  }

  stop() {
    this.stopped = true;
  }
}

export class WebhookSender {
  readonly deliveries: WebhookDelivery[] = [];

  constructor(
    private readonly authToken: string,
    private readonly work: DeferredWork,
    private readonly retryDelaysMs: readonly number[],
  ) {}

  /** POSTs and retries; resolves with the delivery record once answered or out of attempts. */
  async post(kind: WebhookDelivery['kind'], url: string, params: Record<string, string>): Promise<WebhookDelivery> {
    const delivery: WebhookDelivery = {
      kind,
      url,
      params,
      signature: twilio.getExpectedTwilioSignature(this.authToken, url, params),
      attempts: 0,
      status: null,
      error: null,
      responseBody: null,
    };
    this.deliveries.push(delivery);
    const idempotencyToken = randomUUID();
    for (let attempt = 0; !this.work.isStopped; attempt++) {
      delivery.attempts += 1;
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            'x-twilio-signature': delivery.signature,
            // The same token on every retry of one webhook, as Twilio does.
            'i-twilio-idempotency-token': idempotencyToken,
            'user-agent': 'TwilioProxy/1.1',
          },
          body: new URLSearchParams(params).toString(),
          signal: AbortSignal.timeout(15_000),
        });
        delivery.status = res.status;
        delivery.responseBody = await res.text();
        delivery.error = null;
        if (res.status < 500) break;
      } catch (error) {
        delivery.error = (error as Error).message;
      }
      if (attempt >= this.retryDelaysMs.length) break;
      await this.work.sleep(this.retryDelaysMs[attempt]!);
    }
    return delivery;
  }
}
