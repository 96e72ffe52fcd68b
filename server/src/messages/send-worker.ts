import { forwardRef, Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { STATUS_RANK } from '@caretext/shared';
import { CARRIER, type Carrier, CarrierError } from '../carriers/carrier.js';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import { EventBus } from '../events/event-bus.js';
import { WEBHOOK_PATHS } from '../numbers/numbers.service.js';
import { CLOCK, type Clock, CONFIG, DATABASE } from '../tokens.js';
import { PollingLoop, workerInstanceId } from '../jobs/polling-loop.js';
import { carrierErrorMessage } from './carrier-errors.js';
import { cancelText, recheck } from './send-recheck.js';
import { StatusService } from './status.service.js';

const BATCH = 50;
const IDLE_POLL_MS = 500;
/** A message claimed this long ago with no carrier id: its worker died mid-send. */
const STUCK_MS = 2 * 60_000;
const MAX_ATTEMPTS = 5;

type Canceled = { id: string; orgId: string; conversationId: string; teamId: string };
type Claimed = { id: string; orgId: string; conversationId: string; teamId: string; body: string; mediaUrls: string[]; fromNumber: string; toNumber: string; attempts: number; messagesPerSecond: number };

/** Errors where the request never reached the carrier, so sending again cannot duplicate. */
const NEVER_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET_BEFORE_WRITE']);

/**
 * Sends queued messages. Each is claimed with a conditional UPDATE (queued -> sending) before the
 * carrier is called, so two workers, a crash or a double click can never send one twice; a
 * message stuck mid-send is marked failed for a person to check, never blindly resent.
 */
@Injectable()
export class SendWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Sender');
  private readonly instance = workerInstanceId();
  private readonly loop = new PollingLoop(
    async () => {
      await this.failStuck();
      return (await this.drain()) > 0;
    },
    IDLE_POLL_MS,
    (error) => this.logger.error(`send worker: ${error.message}`),
  );
  /** Per number: the earliest time the next message may go, to keep its messages-per-second. */
  private readonly nextSlot = new Map<string, number>();

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CARRIER) private readonly carrier: Carrier,
    private readonly events: EventBus,
    @Inject(forwardRef(() => StatusService)) private readonly status: StatusService,
  ) {}

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  wake(): void {
    this.loop.wake();
  }

  /** Sends everything due now; returns how many were handled (tests call it directly). */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const claimed = await this.claim();
      if (!claimed.length) return total;
      await Promise.all(groupBy(claimed, (m) => m.fromNumber).map((group) => this.sendInOrder(group)));
      total += claimed.length;
    }
  }

  /**
   * Claims due messages (queued -> sending) in one transaction, re-checking each first: one that
   * may no longer go out (see send-recheck.ts) is canceled with its reason instead.
   */
  private async claim(): Promise<Claimed[]> {
    const now = this.clock.now();
    const { claimed, canceled } = await this.db.transaction(async (tx) => {
      const picked = await tx.query<{ id: string }>(
        `SELECT id FROM "Message"
          WHERE status = 'queued' AND direction = 'outbound' AND channel IN ('sms', 'mms') AND ("sendAfter" IS NULL OR "sendAfter" <= $1)
          ORDER BY "createdAt" LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`,
        [now],
      );
      if (!picked.length) return { claimed: [] as Claimed[], canceled: [] as Canceled[] };
      const checks = await recheck(tx, picked.map((p) => p.id));
      const stop = checks.filter((c) => c.reason !== null);
      const canceled = stop.length
        ? await tx.query<Canceled>(
            `UPDATE "Message" m SET status = 'canceled', "statusRank" = ${STATUS_RANK.canceled}, "errorMessage" = v.text, "claimedAt" = $3
               FROM unnest($1::text[], $2::text[]) AS v(id, text), "Conversation" c
              WHERE m.id = v.id AND c.id = m."conversationId"
              RETURNING m.id, m."orgId", m."conversationId", c."teamId"`,
            [stop.map((c) => c.id), stop.map(cancelText), now],
          )
        : [];
      const go = checks.filter((c) => c.reason === null).map((c) => c.id);
      const claimed = go.length
        ? await tx.query<Claimed>(
            `UPDATE "Message" m SET status = 'sending', "statusRank" = ${STATUS_RANK.sending}, "claimedBy" = $1, "claimedAt" = $2, attempts = m.attempts + 1
               FROM "Conversation" c, "PhoneNumber" n
              WHERE m.id = ANY($3::text[]) AND c.id = m."conversationId" AND n.id = c."phoneNumberId"
              RETURNING m.id, m."orgId", m."conversationId", c."teamId", m.body, m."mediaUrls", m."fromNumber", m."toNumber", m.attempts, n."messagesPerSecond"`,
            [this.instance, now, go],
          )
        : [];
      return { claimed, canceled };
    });
    for (const m of canceled) this.events.publish(m.orgId, { type: 'message', teamId: m.teamId, conversationId: m.conversationId, messageId: m.id });
    return claimed;
  }

  private async sendInOrder(messages: Claimed[]): Promise<void> {
    for (const message of messages) {
      await this.pace(message.fromNumber, message.messagesPerSecond);
      await this.sendOne(message);
    }
  }

  private async pace(from: string, perSecond: number): Promise<void> {
    const interval = 1000 / Math.max(1, perSecond);
    const now = Date.now();
    const slot = Math.max(now, this.nextSlot.get(from) ?? 0);
    this.nextSlot.set(from, slot + interval);
    if (slot > now) await new Promise((r) => setTimeout(r, slot - now));
  }

  private async sendOne(m: Claimed): Promise<void> {
    try {
      const sent = await this.carrier.sendMessage({
        from: m.fromNumber,
        to: m.toNumber,
        body: m.body,
        mediaUrls: m.mediaUrls.length ? m.mediaUrls : undefined,
        statusCallback: this.config.publicUrl + WEBHOOK_PATHS.status,
      });
      await this.db.sql.query(`UPDATE "Message" SET "carrierSid" = $2 WHERE id = $1`, [m.id, sent.sid]);
      // A callback can beat the API response here: apply any that arrived before we knew the sid.
      await this.status.applyStored(sent.sid);
    } catch (error) {
      if (error instanceof CarrierError) {
        const code = error.code !== null ? String(error.code) : null;
        await this.db.sql.query(
          `UPDATE "Message" SET status = 'failed', "statusRank" = ${STATUS_RANK.failed}, "errorCode" = $2, "errorMessage" = $3, "failedAt" = $4 WHERE id = $1`,
          [m.id, code, carrierErrorMessage(code, error.message), this.clock.now()],
        );
        if (code === '21610') await this.status.recordCarrierOptOut(m.orgId, m.conversationId, m.toNumber);
      } else if (NEVER_CONNECTED.has((error as NodeJS.ErrnoException).code ?? '') && m.attempts < MAX_ATTEMPTS) {
        const retryAt = new Date(this.clock.now().getTime() + 2 ** m.attempts * 1000);
        await this.db.sql.query(`UPDATE "Message" SET status = 'queued', "statusRank" = ${STATUS_RANK.queued}, "sendAfter" = $2, "claimedBy" = NULL WHERE id = $1`, [m.id, retryAt]);
        return;
      } else {
        // The request may have reached the carrier: never resend blindly.
        await this.db.sql.query(
          `UPDATE "Message" SET status = 'failed', "statusRank" = ${STATUS_RANK.failed}, "errorMessage" = $2, "failedAt" = $3 WHERE id = $1`,
          [m.id, `Could not confirm the carrier received it (${(error as Error).message}); not retried to avoid a duplicate. Check with the patient before resending.`, this.clock.now()],
        );
      }
    }
    this.events.publish(m.orgId, { type: 'message', teamId: m.teamId, conversationId: m.conversationId, messageId: m.id });
  }

  private async failStuck(): Promise<void> {
    const before = new Date(this.clock.now().getTime() - STUCK_MS);
    await this.db.sql.query(
      `UPDATE "Message" SET status = 'failed', "statusRank" = ${STATUS_RANK.failed}, "failedAt" = $2,
              "errorMessage" = 'Interrupted while handing the message to the carrier; not retried to avoid a duplicate. Check with the patient before resending.'
        WHERE status = 'sending' AND "carrierSid" IS NULL AND "claimedAt" < $1`,
      [before, this.clock.now()],
    );
  }
}

function groupBy<T>(items: T[], key: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return [...groups.values()];
}
