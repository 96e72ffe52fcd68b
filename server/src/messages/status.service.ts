import { forwardRef, Inject, Injectable } from '@nestjs/common';
import type { Database } from '../db/database.js';
import { EventBus } from '../events/event-bus.js';
import { CLOCK, type Clock, DATABASE } from '../tokens.js';
import { carrierErrorMessage, STATUS_RANK } from './carrier-errors.js';

export type StatusCallback = { MessageSid: string; MessageStatus: string; ErrorCode?: string; ErrorMessage?: string; From?: string; To?: string } & Record<string, string>;

/**
 * Carrier status callbacks. Each is stored raw first (unique per message and status, so a
 * retried callback is a no-op), then moves the message forward only: a late "sent" never
 * overwrites "delivered".
 */
@Injectable()
export class StatusService {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(forwardRef(() => EventBus)) private readonly events: EventBus,
  ) {}

  async receive(params: StatusCallback): Promise<'stored' | 'duplicate'> {
    const status = (params.MessageStatus ?? params.SmsStatus ?? '').toLowerCase();
    const stored = await this.db.sql.query(
      `INSERT INTO "CarrierEvent" (id, carrier, kind, "messageSid", status, payload, "receivedAt")
       VALUES (gen_random_uuid()::text, 'twilio', 'status', $1, $2, $3, $4)
       ON CONFLICT (carrier, kind, "messageSid", status) DO NOTHING RETURNING id`,
      [params.MessageSid, status, JSON.stringify(params), this.clock.now()],
    );
    if (!stored.length) return 'duplicate';
    await this.apply(params.MessageSid, status, params.ErrorCode || null, params.ErrorMessage || null);
    return 'stored';
  }

  /** Replays callbacks that arrived before the sender stored the carrier's id. */
  async applyStored(sid: string): Promise<void> {
    const events = await this.db.sql.query<{ status: string; payload: Record<string, string> }>(
      `SELECT status, payload FROM "CarrierEvent" WHERE carrier = 'twilio' AND kind = 'status' AND "messageSid" = $1`,
      [sid],
    );
    for (const e of events.sort((a, b) => (STATUS_RANK[a.status] ?? 0) - (STATUS_RANK[b.status] ?? 0))) {
      await this.apply(sid, e.status, e.payload.ErrorCode || null, e.payload.ErrorMessage || null);
    }
  }

  private async apply(sid: string, status: string, errorCode: string | null, errorText: string | null): Promise<void> {
    const rank = STATUS_RANK[status];
    if (rank === undefined || rank === 0) return;
    const now = this.clock.now();
    const failed = status === 'failed' || status === 'undelivered';
    const [row] = await this.db.sql.query<{ id: string; orgId: string; conversationId: string; teamId: string; fromNumber: string; toNumber: string }>(
      `UPDATE "Message" m SET status = $2, "statusRank" = $3,
              "errorCode" = COALESCE($4, m."errorCode"), "errorMessage" = COALESCE($5, m."errorMessage"),
              "sentAt" = CASE WHEN $3 >= 2 THEN COALESCE(m."sentAt", $6) ELSE m."sentAt" END,
              "deliveredAt" = CASE WHEN $2 = 'delivered' THEN $6 ELSE m."deliveredAt" END,
              "failedAt" = CASE WHEN $7 THEN $6 ELSE m."failedAt" END
         FROM "Conversation" c
        WHERE m."carrierSid" = $1 AND m."statusRank" < $3 AND c.id = m."conversationId"
        RETURNING m.id, m."orgId", m."conversationId", c."teamId", m."fromNumber", m."toNumber"`,
      [sid, status, rank, errorCode, failed ? carrierErrorMessage(errorCode, errorText ?? undefined) : null, now, failed],
    );
    if (!row) return;
    if (errorCode === '21610') await this.recordCarrierOptOut(row.orgId, row.fromNumber, row.toNumber);
    this.events.publish(row.orgId, { type: 'message', teamId: row.teamId, conversationId: row.conversationId, messageId: row.id });
  }

  /** The carrier says the patient opted out (21610): remember it so we stop before the carrier next time. */
  async recordCarrierOptOut(orgId: string, fromNumber: string, toNumber: string): Promise<void> {
    await this.db.sql.query(
      `INSERT INTO "SmsOptOut" (id, "orgId", "phoneNumberId", phone, keyword, "createdAt")
       SELECT gen_random_uuid()::text, $1, n.id, $3, 'STOP', $4 FROM "PhoneNumber" n WHERE n.e164 = $2
       ON CONFLICT ("phoneNumberId", phone) DO NOTHING`,
      [orgId, fromNumber, toNumber, this.clock.now()],
    );
  }
}
