import { MAX_MESSAGE_ATTACHMENTS, type SendMessageInput, type SendMessageResult } from '@caretext/shared/send-input';
import type { Failure, SidebarSend } from '../protocol';
import type { OutboxEntry, SendResult } from '../views';
import { failureOf, isSignedOut, isUnreachable } from './api';
import type { CareTextDb, OutboxRecord } from './store';

/** The server's `conversations.send`, so tests can stand in for it. */
export type Delivery = {
  send(input: SendMessageInput): Promise<SendMessageResult>;
};

export type SendInput = SidebarSend & { orgId: string };

export class SendRefused extends Error {
  constructor(readonly failure: Failure) {
    super(failure.message);
  }
}

type Hooks = {
  /** The server is unreachable: start watching for it to come back. */
  onUnreachable(): void;
  /** The token was refused: the session is over. */
  onSignedOut(): void;
  /** The outbox changed (the sidebars show it). */
  onChange(pending: number): void;
};

/**
 * Every send goes through here. The message is written to IndexedDB before the first attempt,
 * so neither a lost connection nor a service worker restart loses it; it is removed once the
 * server has it. Retries reuse its idempotency key, so the server stores it once however many
 * times it arrives; and one flush runs at a time, in the order messages were written.
 */
export class Outbox {
  private flushing: Promise<void> | null = null;
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly db: CareTextDb,
    private readonly delivery: () => Delivery | null,
    private readonly hooks: Hooks,
  ) {}

  async send(input: SendInput): Promise<SendResult> {
    const existing = await this.db.outbox.get(input.idempotencyKey);
    if (existing && existing.state !== 'failed') return { status: 'queued' };
    const record: OutboxRecord = {
      idempotencyKey: input.idempotencyKey,
      orgId: input.orgId,
      patientId: input.patientId,
      teamId: input.teamId,
      body: input.body,
      requestsConfirmation: Boolean(input.requestsConfirmation),
      confirmPhi: Boolean(input.confirmPhi),
      quietHours: input.quietHours ?? null,
      ...(input.channel === 'secure' ? { channel: 'secure' as const } : {}),
      // Files go only by Secure Chat; the server refuses them on SMS anyway.
      ...(input.channel === 'secure' && input.attachmentIds?.length ? { attachmentIds: input.attachmentIds.map(String).slice(0, MAX_MESSAGE_ATTACHMENTS) } : {}),
      createdAt: existing?.createdAt ?? Date.now(),
      state: 'sending',
      attempts: existing?.attempts ?? 0,
      error: null,
    };
    await this.db.outbox.put(record);
    this.changed();
    const outcome = await this.attempt(record);
    if (outcome.kind === 'sent') return outcome.result;
    if (outcome.kind === 'waiting') return { status: 'queued' };
    // Refused now, while the sender is looking: the composer shows why (and asks, for PHI or
    // quiet hours) and keeps the text, so the outbox does not keep a copy.
    await this.db.outbox.delete(record.idempotencyKey);
    this.changed();
    throw new SendRefused(outcome.failure);
  }

  /** Sends what is waiting, oldest first; concurrent calls share one run. */
  flush(): Promise<void> {
    this.flushing ??= this.flushOnce().finally(() => (this.flushing = null));
    return this.flushing;
  }

  private async flushOnce(): Promise<void> {
    const keys = (await this.db.outbox.orderBy('createdAt').toArray()).map((r) => r.idempotencyKey);
    for (const key of keys) {
      // Re-read: a send from the composer may have delivered or taken it meanwhile.
      const record = await this.db.outbox.get(key);
      if (!record || record.state === 'failed' || this.inFlight.has(key)) continue;
      const outcome = await this.attempt(record);
      if (outcome.kind === 'waiting') return; // still unreachable: keep the order, try later
      if (outcome.kind === 'refused') {
        await this.db.outbox.update(record.idempotencyKey, { state: 'failed', error: outcome.failure.message });
        this.changed();
      }
    }
  }

  private async attempt(record: OutboxRecord): Promise<{ kind: 'sent'; result: SendResult } | { kind: 'waiting' } | { kind: 'refused'; failure: Failure }> {
    const delivery = this.delivery();
    if (!delivery) return { kind: 'refused', failure: { message: 'Sign in to CareText to send.', reason: 'signed_out', details: {} } };
    this.inFlight.add(record.idempotencyKey);
    try {
      await this.db.outbox.update(record.idempotencyKey, { state: 'sending', attempts: record.attempts + 1 });
      // One round trip: the server finds or starts the patient's conversation with the team's
      // number, and a retry with the same key returns the first message.
      const sent = await delivery.send({
        patientId: record.patientId,
        teamId: record.teamId,
        body: record.body,
        idempotencyKey: record.idempotencyKey,
        requestsConfirmation: record.requestsConfirmation || undefined,
        confirmPhi: record.confirmPhi || undefined,
        quietHours: record.quietHours ?? undefined,
        ...(record.channel === 'secure' ? { channel: 'secure' as const } : {}),
        ...(record.channel === 'secure' && record.attachmentIds?.length ? { attachmentIds: record.attachmentIds } : {}),
      });
      await this.db.outbox.delete(record.idempotencyKey);
      this.changed();
      const sendAfter = sent.sendAfter ? new Date(sent.sendAfter).toISOString() : null;
      return { kind: 'sent', result: { status: 'sent', messageId: sent.messageId, messageStatus: sent.status, sendAfter, duplicate: sent.duplicate, ...(sent.notification ? { notification: sent.notification } : {}) } };
    } catch (error) {
      if (isUnreachable(error)) {
        await this.db.outbox.update(record.idempotencyKey, { state: 'waiting' });
        this.changed();
        this.hooks.onUnreachable();
        return { kind: 'waiting' };
      }
      if (isSignedOut(error)) this.hooks.onSignedOut();
      return { kind: 'refused', failure: failureOf(error) };
    } finally {
      this.inFlight.delete(record.idempotencyKey);
    }
  }

  async discard(idempotencyKey: string): Promise<void> {
    if (this.inFlight.has(idempotencyKey)) return;
    await this.db.outbox.delete(idempotencyKey);
    this.changed();
  }

  async forPatient(orgId: string, patientId: string): Promise<OutboxEntry[]> {
    const rows = await this.db.outbox.where('[orgId+patientId]').equals([orgId, patientId]).sortBy('createdAt');
    return rows.map((r) => ({ idempotencyKey: r.idempotencyKey, patientId: r.patientId, body: r.body, createdAt: new Date(r.createdAt).toISOString(), state: r.state, error: r.error }));
  }

  pending(): Promise<number> {
    return this.db.outbox.filter((r) => r.state !== 'failed').count();
  }

  async clear(): Promise<void> {
    await this.db.outbox.clear();
    this.changed();
  }

  private changed(): void {
    void this.pending().then((n) => this.hooks.onChange(n));
  }
}
