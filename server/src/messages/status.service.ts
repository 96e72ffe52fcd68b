import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Database, SqlRunner } from '../db/database.js';
import { DATABASE } from '../injection-tokens.js';
import { CLOCK, type Clock } from '../clock.js';
import { statusRank } from '@caretext/shared';
import { carrierErrorMessage } from './carrier-error-messages.js';
import type { Message } from '../generated/prisma/client.js';
import { MessageEvents, type MessageStateRow } from './message-events.js';

export type StatusCallback = { MessageSid: string; MessageStatus: string; ErrorCode?: string; ErrorMessage?: string; From?: string; To?: string } & Record<string, string>;

/** A message a callback moved forward: what its live event carries, read by the UPDATE itself (no second query). */
type Changed = MessageStateRow & Pick<Message, 'fromNumber' | 'toNumber'> & {
  teamId: string;
  patientId: string | null;
};
type Pending = { params: StatusCallback; status: string; resolve: (r: 'stored' | 'duplicate') => void; reject: (e: unknown) => void };

const isFailure = (status: string) => status === 'failed' || status === 'undelivered';

/**
 * The one statement that moves messages along: each message whose carrier id is in `source`
 * (rows of sid, status, rank, code, message) takes that status, only forward (a message already
 * at that rank or further stays as it is: a late "sent" never overwrites "delivered"). `now` is
 * the parameter that holds the time, e.g. '$7'. Returns what changed, with the team to notify.
 */
function advanceMessages(source: string, now: string): string {
  return `UPDATE "Message" m SET status = v.status, "statusRank" = v.rank,
            "errorCode" = COALESCE(v.code, m."errorCode"), "errorMessage" = COALESCE(v.message, m."errorMessage"),
            "sentAt" = CASE WHEN v.rank >= 2 THEN COALESCE(m."sentAt", ${now}) ELSE m."sentAt" END,
            "deliveredAt" = CASE WHEN v.status = 'delivered' THEN ${now} ELSE m."deliveredAt" END,
            "failedAt" = CASE WHEN v.status IN ('failed', 'undelivered') THEN ${now} ELSE m."failedAt" END
       FROM ${source}, "Conversation" c
      WHERE m."carrierSid" = v.sid AND m."statusRank" < v.rank AND c.id = m."conversationId"
      RETURNING m."carrierSid", m.status, m.id, m."orgId", m."conversationId", c."teamId", c."patientId", m."fromNumber", m."toNumber", m."errorCode",
                m.direction, m."statusRank", m."errorMessage", m."requestsConfirmation", m.confirmation, m."answersMessageId", m."sendAfter", m."createdAt", m."sentAt", m."deliveredAt"`;
}

/** The columns `advanceMessages` returns besides the sid and status, with their SQL types (for the UNION's other half). */
const CHANGED_COLUMNS: [keyof Changed, string][] = [
  ['id', 'text'], ['orgId', 'text'], ['conversationId', 'text'], ['teamId', 'text'], ['patientId', 'text'], ['fromNumber', 'text'], ['toNumber', 'text'],
  ['errorCode', 'text'], ['direction', 'text'], ['statusRank', 'int'], ['errorMessage', 'text'], ['requestsConfirmation', 'boolean'], ['confirmation', 'text'],
  ['answersMessageId', 'text'], ['sendAfter', 'timestamptz'], ['createdAt', 'timestamptz'], ['sentAt', 'timestamptz'], ['deliveredAt', 'timestamptz'],
];

/** Callbacks written together: up to this many, or whatever arrived within the window. */
const BATCH_MAX = 200;
const BATCH_WINDOW_MS = 2;

/**
 * Carrier status callbacks. During a blast Twilio calls thousands of times a second, so
 * callbacks are group-committed: those arriving within a couple of milliseconds are stored
 * and applied in one transaction, and each webhook is answered only after its callback is
 * durable. Each is stored raw (unique per message and status, so a retried callback is a
 * no-op) in the same transaction that moves the message forward — only forward: a late "sent"
 * never overwrites "delivered".
 */
@Injectable()
export class StatusService {
  private readonly logger = new Logger('StatusCallbacks');
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly messageEvents: MessageEvents,
  ) {}

  receive(params: StatusCallback): Promise<'stored' | 'duplicate'> {
    const status = (params.MessageStatus ?? params.SmsStatus ?? '').toLowerCase();
    return new Promise((resolve, reject) => {
      this.queue.push({ params, status, resolve, reject });
      if (this.queue.length >= BATCH_MAX) this.flushSoon(0);
      else this.flushSoon(BATCH_WINDOW_MS);
    });
  }

  private flushSoon(delay: number) {
    if (this.timer && delay > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, delay);
  }

  private async flush(): Promise<void> {
    const batch = this.queue.splice(0, BATCH_MAX);
    if (this.queue.length) this.flushSoon(0);
    if (!batch.length) return;
    try {
      await this.commit(batch);
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      // One callback the database refuses must not fail the others: commit each on its own,
      // so the good ones are durable and answered, and only the bad one gets an error.
      this.logger.warn(`a batch of ${batch.length} status callbacks failed (${(error as Error).message}); committing them one by one`);
      for (const p of batch) {
        try {
          await this.commit([p]);
        } catch (single) {
          this.logger.error(`status callback ${p.params.MessageSid} (${p.status}) could not be stored: ${(single as Error).message}`);
          p.reject(single);
        }
      }
    }
  }

  /** Stores and applies callbacks in one statement, then answers each. Throws without answering. */
  private async commit(batch: Pending[]): Promise<void> {
    const now = this.clock.now();
    const failed = (status: string) => status === 'failed' || status === 'undelivered';
    // One statement, so one round trip and atomic by itself: store the raw callbacks, and move
    // forward the messages of those that were new (a retried callback changes nothing).
    const rows = await this.db.sql.query<{ kind: 'stored'; sid: string; status: string } | ({ kind: 'changed'; sid: string } & Changed)>(
      `WITH input AS (
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[]) AS e(sid, status, payload, rank, code, message)),
       stored AS (
         INSERT INTO "CarrierEvent" (id, carrier, kind, "messageSid", status, payload, "receivedAt")
         SELECT gen_random_uuid()::text, 'twilio', 'status', sid, status, payload::jsonb, $7 FROM input
         ON CONFLICT (carrier, kind, "messageSid", status) DO NOTHING RETURNING "messageSid", status),
       best AS (
         SELECT DISTINCT ON (i.sid) i.* FROM input i JOIN stored s ON s."messageSid" = i.sid AND s.status = i.status
          WHERE i.rank > 0 ORDER BY i.sid, i.rank DESC),
       changed AS (${advanceMessages('best v', '$7')})
       SELECT 'stored' AS kind, "messageSid" AS sid, status, ${CHANGED_COLUMNS.map(([name, type]) => `NULL::${type} AS "${name}"`).join(', ')} FROM stored
       UNION ALL
       SELECT 'changed', "carrierSid", status, ${CHANGED_COLUMNS.map(([name]) => `"${name}"`).join(', ')} FROM changed`,
      [
        batch.map((p) => p.params.MessageSid),
        batch.map((p) => p.status),
        batch.map((p) => JSON.stringify(p.params)),
        batch.map((p) => statusRank(p.status)),
        batch.map((p) => p.params.ErrorCode || null),
        batch.map((p) => (isFailure(p.status) ? carrierErrorMessage(p.params.ErrorCode || null, p.params.ErrorMessage || undefined) : null)),
        now,
      ],
    );
    const stored = new Set(rows.filter((r) => r.kind === 'stored').map((r) => `${r.sid} ${r.status}`));
    const changed = rows.filter((r): r is { kind: 'changed'; sid: string } & Changed => r.kind === 'changed');
    // Durable now: what follows (events, carrier opt-outs) must not turn the answer into an error.
    await this.afterApply(changed).catch((error: Error) => this.logger.error(`after status callbacks: ${error.message}`));
    await this.retryUnmatched(batch, stored, new Set(changed.map((r) => r.sid))).catch((error: Error) => this.logger.error(`after status callbacks: ${error.message}`));
    for (const p of batch) p.resolve(stored.has(`${p.params.MessageSid} ${p.status}`) ? 'stored' : 'duplicate');
  }

  /**
   * A callback stored while no message carried its sid yet (the sender, or reconciliation, was
   * storing it at that moment) is applied again now that it is durable. The other side replays
   * stored callbacks after storing the sid (applyStored), but when both statements ran at once
   * neither saw the other's write; whichever commits second sees the first's, so one of the two
   * replays always finds both. Only forward, so a callback applied twice changes nothing.
   */
  private async retryUnmatched(batch: Pending[], stored: Set<string>, changedSids: Set<string>): Promise<void> {
    const unmatched = batch
      .filter((p) => stored.has(`${p.params.MessageSid} ${p.status}`) && !changedSids.has(p.params.MessageSid))
      .map((p) => ({ sid: p.params.MessageSid, status: p.status, errorCode: p.params.ErrorCode || null, errorText: p.params.ErrorMessage || null }));
    if (!unmatched.length) return;
    await this.afterApply(await this.apply(this.db.sql, unmatched, this.clock.now()));
  }

  /** Replays callbacks that arrived before the sender stored the carrier's id. */
  async applyStored(sid: string): Promise<void> {
    const events = await this.db.sql.query<{ status: string; payload: Record<string, string> }>(
      `SELECT status, payload FROM "CarrierEvent" WHERE carrier = 'twilio' AND kind = 'status' AND "messageSid" = $1`,
      [sid],
    );
    if (!events.length) return;
    const changed = await this.db.transaction((tx) =>
      this.apply(tx, events.map((e) => ({ sid, status: e.status, errorCode: e.payload.ErrorCode || null, errorText: e.payload.ErrorMessage || null })), this.clock.now()),
    );
    await this.afterApply(changed);
  }

  /**
   * Applies a status read from the carrier (reconciling a message whose callbacks went missing),
   * like a callback would: only forward.
   */
  async settle(sid: string, status: string, errorCode: number | null): Promise<void> {
    const code = errorCode === null ? null : String(errorCode);
    const changed = await this.apply(this.db.sql, [{ sid, status, errorCode: code, errorText: null }], this.clock.now());
    await this.afterApply(changed);
  }

  /** Moves each message to the highest status among its callbacks, if that is further along. */
  private async apply(sql: SqlRunner, updates: { sid: string; status: string; errorCode: string | null; errorText: string | null }[], now: Date) {
    const best = new Map<string, (typeof updates)[number] & { rank: number }>();
    for (const u of updates) {
      const rank = statusRank(u.status);
      if (rank === 0) continue;
      const current = best.get(u.sid);
      if (!current || rank > current.rank) best.set(u.sid, { ...u, rank });
    }
    if (!best.size) return [];
    const rows = [...best.values()];
    return sql.query<Changed>(
      advanceMessages('unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[]) AS v(sid, status, rank, code, message)', '$6'),
      [
        rows.map((r) => r.sid),
        rows.map((r) => r.status),
        rows.map((r) => r.rank),
        rows.map((r) => r.errorCode),
        rows.map((r) => (isFailure(r.status) ? carrierErrorMessage(r.errorCode, r.errorText ?? undefined) : null)),
        now,
      ],
    );
  }

  private async afterApply(changed: Changed[]) {
    for (const row of changed) {
      if (row.errorCode === '21610' && row.toNumber) await this.recordCarrierOptOut(row.orgId, row.conversationId, row.toNumber);
    }
    // Each event from the row the UPDATE returned: no second read of the messages (this runs for
    // every status callback of a blast).
    for (const row of changed) this.messageEvents.publishState(row, row.teamId, row.patientId);
  }

  /** The carrier says the patient opted out (21610): remember it so we stop before the carrier next time. */
  async recordCarrierOptOut(orgId: string, conversationId: string, toNumber: string): Promise<void> {
    // On the conversation's own number row: other rows of the same E.164 (its earlier or later
    // owners) are someone else's.
    await this.db.sql.query(
      `INSERT INTO "SmsOptOut" (id, "orgId", "phoneNumberId", phone, keyword, "createdAt")
       SELECT gen_random_uuid()::text, $1, c."phoneNumberId", $3, 'STOP', $4 FROM "Conversation" c
        WHERE c.id = $2 AND c."orgId" = $1 AND c."phoneNumberId" IS NOT NULL
       ON CONFLICT ("phoneNumberId", phone) DO NOTHING`,
      [orgId, conversationId, toNumber, this.clock.now()],
    );
    await this.messageEvents.optOutChanged(orgId, conversationId);
  }
}
