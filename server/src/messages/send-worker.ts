import { forwardRef, Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { STATUS_RANK } from '@caretext/shared';
import { CARRIER, CARRIER_TIMEOUT_MS, type Carrier, CarrierError, type CarrierMessage } from '../carriers/carrier.js';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import { WEBHOOK_PATHS } from '../numbers/numbers.service.js';
import { CONFIG, DATABASE } from '../injection-tokens.js';
import { CLOCK, type Clock } from '../clock.js';
import { PollingLoop, workerInstanceId } from '../jobs/polling-loop.js';
import { carrierErrorMessage } from './carrier-error-messages.js';
import { mintNoticeLink } from '../portal/portal-link-mint.js';
import { mintMediaUrls } from '../blasts/blast-images.js';
import { PORTAL_LINK_NOTICE, withoutPortalToken } from '../portal/portal-link-text.js';
import { MessageEvents } from './message-events.js';
import { cancelTextOf, recheck } from './send-recheck.js';
import { StatusService } from './status.service.js';

const BATCH = 50;
/** Outbound messages waiting to be sent: the condition of the partial indexes the claim reads (migration send_queue_indexes). */
const QUEUED = `"status" = 'queued' AND "direction" = 'outbound'`;
const IDLE_POLL_MS = 500;
/**
 * A send claim expires this long after it was taken: a message still in `sending` with no carrier
 * id by then lost its worker (killed mid-send) or its answer. Four times the carrier call's own
 * timeout, so the worker that held the claim has given up on its call before anyone looks.
 */
export const CLAIM_TTL_MS = 4 * CARRIER_TIMEOUT_MS;
/**
 * A message with a carrier id but no final status is asked about this long after it was claimed
 * or last asked about, or a quarter of its age if longer: a carrier that never reports delivery
 * costs a few dozen lookups per message, not one every ten minutes for days.
 */
export const SETTLE_AFTER_MS = 10 * 60_000;
/** The loop looks for messages to reconcile at most this often (each look is a query). */
const RECONCILE_EVERY_MS = 5_000;
/** Messages older than this are no longer chased at the carrier. */
const SETTLE_WITHIN_MS = 3 * 24 * 3600_000;
/** A carrier's clock may run this far from ours when matching a lost send by its creation time. */
const CLOCK_SKEW_MS = 5 * 60_000;
const MAX_ATTEMPTS = 5;
/**
 * Send slots are booked at most this far ahead: an instance claims a number's next messages
 * only for the coming seconds, and the other instances book the slots after them.
 */
const BOOKING_HORIZON_MS = 2_000;
/** A busy worker books its next slots this long before its last booked one. */
const CLAIM_AHEAD_MS = 250;
/** A claim is renewed (and checked) this long before its slot, so the round trip does not make the send late. */
const TAKE_AHEAD_MS = 100;
/**
 * How far past its booking a late message may still go. A message that wakes late (the worker
 * stalled, the machine is busy) goes late as long as this instance booked the slots after it:
 * the instance's own later messages move back, one interval apart. Only where this instance's
 * booked slots end and another booking begins (BookedRanges) must its last send leave one
 * interval, less this limit, before that booking; a message that cannot is queued again, unless
 * nobody booked after this instance and its booking can grow (extendBooking). So a one-second
 * window never holds more than the rate plus 2.5% (25 ms of slots) at the carrier's door.
 */
const LATE_LIMIT_MS = 25;

type Unsettled = { id: string; orgId: string; conversationId: string; teamId: string; body: string; autoReply: string | null; fromNumber: string; toNumber: string; carrierSid: string | null; attempts: number; createdAt: Date };
type Canceled = { id: string; orgId: string; conversationId: string; teamId: string };
type Claimed = { id: string; orgId: string; conversationId: string; teamId: string; body: string; autoReply: string | null; mediaUrls: string[]; fromNumber: string; toNumber: string; attempts: number };
/** A claimed message and its send slot (ms since the epoch on the database's clock). */
type Booked = Claimed & { slot: number; interval: number; claimedAt: Date };
/** Send slots booked from `start` up to `end` (the number's next free slot then), in one claim; `after`: the next free slot before it. */
type Booking = { fromNumber: string; after: number; start: number; end: number };

/** Errors where the request never reached the carrier, so sending again cannot duplicate. */
const NEVER_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET_BEFORE_WRITE']);

/**
 * Sends queued messages. Each is claimed with a row lock (`FOR UPDATE SKIP LOCKED`, queued ->
 * sending, with the instance and the time) before the carrier is called, so two workers, two
 * instances, a crash or a double click never send one twice.
 *
 * A claim expires (CLAIM_TTL_MS). A message still in `sending` without a carrier id after that —
 * its instance was killed mid-send, or the carrier's answer was lost — is reconciled: looked for
 * at the carrier and settled to its real status, and resent only when the carrier never saw it.
 * The carrier has no idempotency key for a send, so the message is recognized by what it is:
 * same From, same To, same body (a portal notice's with its token masked), created at the carrier no earlier than our message (less clock
 * skew), and not already the carrier message of another of our rows (carrier ids are unique on
 * Message). Two identical texts to one patient that both lost their answer take the carrier's
 * messages oldest first, one each; whichever row gets which, each is settled to a real message
 * and none is resent. A message with a carrier id whose callbacks never came is fetched by id.
 *
 * A number's messages-per-second holds across all instances together: the claim books each
 * message a send slot in the number's SendPace row, on the database's clock (the one clock every
 * instance shares), one interval after the previous slot and at most BOOKING_HORIZON_MS ahead.
 * The worker sends at the slot, or queues the message again if it woke too late to.
 */
@Injectable()
export class SendWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Sender');
  private readonly instance = workerInstanceId();
  private readonly loop = new PollingLoop(
    async () => {
      let settled = 0;
      if (Date.now() >= this.nextReconcile) {
        this.nextReconcile = Date.now() + RECONCILE_EVERY_MS;
        settled = await this.reconcile();
        // A full batch: more are waiting (a restart after a kill mid-blast left hundreds of
        // claims): look again on the next turn, not in five seconds. What was just taken is
        // claimed by this instance, so the next look finds the others, never a hot loop on these.
        if (settled >= BATCH) this.nextReconcile = 0;
      }
      return (await this.drain()) + settled > 0;
    },
    IDLE_POLL_MS,
    (error) => this.logger.error(`send worker: ${error.message}`),
  );
  private nextReconcile = 0;
  private readonly databaseClock = new DatabaseClock();
  /** Per number: when this instance last sent from it (localNow). */
  private readonly lastSend = new Map<string, number>();
  /** Per number: how many of its claimed messages have not gone (or given up) yet. */
  private readonly inLine = new Map<string, number>();
  /** Per number: the end of the line of messages waiting for their turn (sendAtSlot). */
  private readonly turns = new Map<string, Promise<void>>();
  /** The claim (slot booking) under way, if any. */
  private claiming: Promise<void> = Promise.resolve();
  /** The send slots this instance booked, per number. */
  private readonly booked = new BookedRanges();

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CARRIER) private readonly carrier: Carrier,
    private readonly messageEvents: MessageEvents,
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
    const sending: Promise<void>[] = [];
    try {
      for (;;) {
        // One claim at a time per instance: a drain() called while the polling loop's claim is
        // under way waits for it (that claim may have skipped-locked this drain's numbers), so what
        // was due when drain() was called is claimed or canceled when it returns.
        const claiming = this.claiming.then(() => this.claim());
        this.claiming = claiming.then(() => {}, () => {});
        const claimed = await claiming;
        if (!claimed.length) return total;
        total += claimed.length;
        sending.push(...claimed.map((message) => this.sendAtSlot(message)));
        // The next slots are booked shortly before these run out, so a busy number's slots follow
        // on without a gap (a claim after the last send would start late by its own round trips).
        const nextClaimAt = this.databaseClock.toLocal(claimed.at(-1)!.slot) - CLAIM_AHEAD_MS;
        await Promise.race([Promise.all(sending), new Promise((resolve) => setTimeout(resolve, Math.max(0, nextClaimAt - localNow())))]);
      }
    } finally {
      await Promise.all(sending);
    }
  }

  /**
   * Claims due messages (queued -> sending) in one transaction, re-checking each first: one that
   * may no longer go out (see send-recheck.ts) is canceled with its reason instead. Each claimed
   * message gets its send slot (see SendPace).
   */
  private async claim(): Promise<Booked[]> {
    const now = this.clock.now();
    const { claimed, canceled, dbNow, readAt, bookings } = await this.db.transaction(async (tx) => {
      const nothing = { claimed: [] as Booked[], canceled: [] as Canceled[], dbNow: 0, readAt: 0, bookings: [] as Booking[] };
      const due = `m.status = 'queued' AND m.direction = 'outbound' AND m.channel IN ('sms', 'mms') AND (m."sendAfter" IS NULL OR m."sendAfter" <= $1)`;
      // The numbers with outbound messages queued (due or not: the pick below checks), by a skip
      // scan of Message_send_queue_number_idx: one index probe per number, not a read of every
      // queued message (a blast queues tens of thousands).
      const numbers = (
        await tx.query<{ fromNumber: string }>(
          `WITH RECURSIVE n AS (
             (SELECT "fromNumber" FROM "Message" WHERE ${QUEUED} ORDER BY "fromNumber" LIMIT 1)
             UNION ALL
             SELECT (SELECT m."fromNumber" FROM "Message" m WHERE ${QUEUED} AND m."fromNumber" > n."fromNumber" ORDER BY m."fromNumber" LIMIT 1)
               FROM n WHERE n."fromNumber" IS NOT NULL
           ) SELECT "fromNumber" FROM n WHERE "fromNumber" IS NOT NULL`,
        )
      ).map((r) => r.fromNumber);
      if (!numbers.length) return nothing;
      await tx.query(`INSERT INTO "SendPace" ("fromNumber", "nextSlotAt") SELECT unnest($1::text[]), clock_timestamp() ON CONFLICT DO NOTHING`, [numbers]);
      // The numbers with a free slot within the horizon that no other instance is booking now.
      // Their messages are picked only under this lock, so slots go out in the order messages were made.
      const paces = await tx.query<{ fromNumber: string; nextSlotAt: Date; dbNow: Date }>(
        `SELECT "fromNumber", "nextSlotAt", clock_timestamp() AS "dbNow" FROM "SendPace"
          WHERE "fromNumber" = ANY($1::text[]) AND "nextSlotAt" < clock_timestamp() + $2 * interval '1 millisecond'
          ORDER BY "fromNumber" FOR UPDATE SKIP LOCKED`,
        [numbers, BOOKING_HORIZON_MS],
      );
      const readAt = localNow();
      if (!paces.length) return nothing;
      // Up to BATCH of each number's oldest due messages, not the BATCH oldest of all: a number
      // with a long backlog (a blast) would otherwise fill every pick with messages it has no slot
      // for, and another number's message would wait for that whole backlog.
      const picked = await tx.query<{ id: string; fromNumber: string; messagesPerSecond: number }>(
        `SELECT m.id, m."fromNumber", m."messagesPerSecond" FROM unnest($2::text[]) AS p("fromNumber")
           CROSS JOIN LATERAL (
             SELECT m.id, m."fromNumber", m."createdAt", COALESCE(n."messagesPerSecond", 1) AS "messagesPerSecond" FROM "Message" m
               JOIN "Conversation" c ON c.id = m."conversationId" LEFT JOIN "PhoneNumber" n ON n.id = c."phoneNumberId"
              WHERE ${due} AND m."fromNumber" = p."fromNumber"
              ORDER BY m."createdAt" LIMIT ${BATCH} FOR UPDATE OF m SKIP LOCKED) m
          ORDER BY m."createdAt"`,
        [now, paces.map((p) => p.fromNumber)],
      );
      if (!picked.length) return nothing;
      const checks = await recheck(tx, picked.map((p) => p.id));
      const stop = checks.filter((c) => c.reason !== null);
      const canceled = stop.length
        ? await tx.query<Canceled>(
            `UPDATE "Message" m SET status = 'canceled', "statusRank" = ${STATUS_RANK.canceled}, "errorMessage" = v.text, "claimedAt" = $3
               FROM unnest($1::text[], $2::text[]) AS v(id, text), "Conversation" c
              WHERE m.id = v.id AND c.id = m."conversationId"
              RETURNING m.id, m."orgId", m."conversationId", c."teamId"`,
            [stop.map((c) => c.id), stop.map(cancelTextOf), now],
          )
        : [];
      const go = new Set(checks.filter((c) => c.reason === null).map((c) => c.id));
      const dbNow = Math.max(...paces.map((p) => p.dbNow.getTime()));
      const slots = new Map<string, { slot: number; interval: number }>();
      const bookings: Booking[] = [];
      for (const pace of paces) {
        const mine = picked.filter((p) => p.fromNumber === pace.fromNumber && go.has(p.id));
        if (!mine.length) continue;
        const interval = 1000 / Math.max(1, Math.min(...mine.map((p) => p.messagesPerSecond)));
        // Not before this instance's line for the number can send them: an instance running late
        // (a busy machine) books its slots after its own backlog, and books none while that backlog
        // reaches past the horizon, so it does not hold slots it would miss (the next booking, maybe
        // another instance's, would then send them back to the queue); the other instances take them.
        let slot = Math.max(pace.dbNow.getTime(), pace.nextSlotAt.getTime(), this.databaseClock.toDatabase(this.lineFreeAt(pace.fromNumber, interval)));
        for (const message of mine) {
          if (slot >= pace.dbNow.getTime() + BOOKING_HORIZON_MS) break;
          slots.set(message.id, { slot, interval });
          slot += interval;
        }
        if (!mine.some((m) => slots.has(m.id))) continue;
        const end = Math.ceil(slot);
        await tx.query(`UPDATE "SendPace" SET "nextSlotAt" = $2 WHERE "fromNumber" = $1`, [pace.fromNumber, new Date(end)]);
        bookings.push({ fromNumber: pace.fromNumber, after: pace.nextSlotAt.getTime(), start: slots.get(mine[0]!.id)!.slot, end });
      }
      if (!slots.size) return { ...nothing, canceled };
      // Held until CLAIM_TTL_MS after the slot, not after the booking, so a message waiting for its
      // slot is not reconciled meanwhile; the send renews it (takeForSend).
      const ids = [...slots.keys()];
      const heldUntil = new Map(ids.map((id) => [id, new Date(now.getTime() + Math.ceil(slots.get(id)!.slot - dbNow))]));
      const rows = await tx.query<Claimed>(
        `UPDATE "Message" m SET status = 'sending', "statusRank" = ${STATUS_RANK.sending}, "claimedBy" = $1, "claimedAt" = v."claimedAt", attempts = m.attempts + 1
           FROM unnest($2::text[], $3::timestamptz[]) AS v(id, "claimedAt"), "Conversation" c
          WHERE m.id = v.id AND c.id = m."conversationId"
          RETURNING m.id, m."orgId", m."conversationId", c."teamId", m.body, m."autoReply", m."mediaUrls", m."fromNumber", m."toNumber", m.attempts`,
        [this.instance, ids, ids.map((id) => heldUntil.get(id))],
      );
      const claimed = rows.map((r) => ({ ...r, ...slots.get(r.id)!, claimedAt: heldUntil.get(r.id)! })).sort((a, b) => a.slot - b.slot);
      return { claimed, canceled, dbNow, readAt, bookings };
    });
    for (const booking of bookings) this.booked.add(booking, dbNow);
    if (canceled.length) await this.messageEvents.changed({ id: { in: canceled.map((m) => m.id) } });
    if (claimed.length) this.databaseClock.sample(readAt, dbNow);
    return claimed;
  }

  /**
   * Waits for the message's slot, then sends it. Called in slot order; each number's messages take
   * their turn in that order (the claim renewals meanwhile run at once), so each goes at least one
   * interval after this instance's previous send from the number, whenever that went: a late
   * send moves the next ones back instead of crowding them, and a better reading of the
   * database's clock never brings a slot forward.
   * A message that cannot go before the next booking that is not this instance's (see LATE_LIMIT_MS)
   * goes back to the queue.
   */
  private async sendAtSlot(message: Booked): Promise<void> {
    const turn = this.takeTurn(message.fromNumber);
    this.inLine.set(message.fromNumber, (this.inLine.get(message.fromNumber) ?? 0) + 1);
    let release = () => {
      this.inLine.set(message.fromNumber, this.inLine.get(message.fromNumber)! - 1);
      turn.release();
    };
    try {
      await sleepUntil(this.databaseClock.toLocal(message.slot) - TAKE_AHEAD_MS);
      let claimedAt = await this.takeForSend(message);
      const takenAt = localNow();
      if (!claimedAt) return;
      await turn.ready;
      const at = Math.max(this.databaseClock.toLocal(message.slot), (this.lastSend.get(message.fromNumber) ?? 0) + message.interval);
      await sleepUntil(at);
      if (!(await this.fitsBooking(message))) return await this.requeueLate({ ...message, claimedAt }, localNow() - at);
      // A long wait in line or for the booking (a very busy process): the claim is renewed (and
      // checked: another instance may have reconciled it meanwhile) right before the carrier call,
      // so it cannot expire under the send.
      if (localNow() - takenAt > (this.config.sendClaimTtlMs ?? CLAIM_TTL_MS) / 8) {
        claimedAt = await this.takeForSend({ ...message, claimedAt });
        if (!claimedAt) return;
      }
      this.lastSend.set(message.fromNumber, localNow());
      release();
      release = () => {};
      await this.sendOne(message);
    } finally {
      release();
    }
  }

  /**
   * Can the message go now without crowding the next booking that is not this instance's?
   * A claim of this instance's in flight may be booking the slots right after it: its answer is
   * awaited first, so the instance never takes its own next booking for another's.
   */
  private async fitsBooking(m: Booked): Promise<boolean> {
    const fits = () => localNow() + m.interval <= this.databaseClock.toLocal(this.booked.endOf(m.fromNumber, m.slot)) + LATE_LIMIT_MS;
    if (fits()) return true;
    await this.claiming;
    return fits() || (await this.extendBooking(m, this.booked.endOf(m.fromNumber, m.slot)));
  }

  /** When this instance's line for the number could send one more message (localNow), at the soonest. */
  private lineFreeAt(fromNumber: string, interval: number): number {
    return Math.max(localNow(), (this.lastSend.get(fromNumber) ?? 0) + interval) + (this.inLine.get(fromNumber) ?? 0) * interval;
  }

  /** The number's line: `ready` when every message booked before this one has gone (or gave up its turn). */
  private takeTurn(fromNumber: string): { ready: Promise<void>; release: () => void } {
    const ready = this.turns.get(fromNumber) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const next = ready.then(() => mine);
    this.turns.set(fromNumber, next);
    void next.then(() => {
      if (this.turns.get(fromNumber) === next) this.turns.delete(fromNumber);
    });
    return { ready, release };
  }

  /**
   * A late message at the end of this instance's booking, with nobody booked after it (the number's
   * next free slot is still where this booking ends): the booking grows to one interval (and the
   * late limit) after now, and the message goes now. Without this, on a busy machine where every
   * wake is late, the last message of each booking went back to the queue again and again.
   */
  private async extendBooking(m: Booked, bookingEnd: number): Promise<boolean> {
    const [row] = await this.db.sql.query<{ nextSlotAt: Date }>(
      `UPDATE "SendPace" SET "nextSlotAt" = clock_timestamp() + make_interval(secs => $3::float8 / 1000)
        WHERE "fromNumber" = $1 AND "nextSlotAt" <= $2 RETURNING "nextSlotAt"`,
      [m.fromNumber, new Date(bookingEnd + 1), m.interval + LATE_LIMIT_MS],
    );
    if (row) this.booked.extend(m.fromNumber, bookingEnd, row.nextSlotAt.getTime());
    return Boolean(row);
  }

  /**
   * The claim is still this worker's (not reconciled by another while it waited): it now dates
   * from this send, as claims always did, and is the one this worker holds while it calls the carrier.
   */
  private async takeForSend(m: Booked): Promise<Date | null> {
    const now = this.clock.now();
    const [held] = await this.db.sql.query<{ id: string }>(
      `UPDATE "Message" SET "claimedAt" = $4 WHERE id = $1 AND status = 'sending' AND "carrierSid" IS NULL AND "claimedBy" = $2 AND "claimedAt" = $3 RETURNING id`,
      [m.id, this.instance, m.claimedAt, now],
    );
    return held ? now : null;
  }

  /**
   * The worker woke too long after the slot (a stalled process, a busy machine) and another
   * booking follows: sending now could put this message right before that booking's first, over
   * the rate. It is queued again for a new slot; the claim was not an attempt.
   */
  private async requeueLate(m: Booked, lateMs: number): Promise<void> {
    this.logger.log(`message ${m.id} woke ${Math.round(lateMs)} ms after its slot; queued again`);
    const [requeued] = await this.db.sql.query<{ id: string }>(
      `UPDATE "Message" SET status = 'queued', "statusRank" = ${STATUS_RANK.queued}, "claimedBy" = NULL, attempts = attempts - 1
        WHERE id = $1 AND status = 'sending' AND "carrierSid" IS NULL AND "claimedBy" = $2 AND "claimedAt" = $3 RETURNING id`,
      [m.id, this.instance, m.claimedAt],
    );
    if (requeued) {
      this.wake();
      await this.messageEvents.changed({ id: m.id });
    }
  }

  private async sendOne(m: Claimed): Promise<void> {
    // A portal notice gets its link now: the stored text never holds a usable token.
    const body = m.autoReply === PORTAL_LINK_NOTICE ? await mintNoticeLink(this.db, m, this.clock.now()) : m.body;
    // MMS (blast images): the carrier's signed links are made now, not stored (blasts/blast-images.ts).
    const mediaUrls = m.mediaUrls.length ? await mintMediaUrls(this.db, this.config, m.mediaUrls, this.clock.now()) : [];
    try {
      const sent = await this.carrier.sendMessage({
        from: m.fromNumber,
        to: m.toNumber,
        body,
        mediaUrls: mediaUrls.length ? mediaUrls : undefined,
        statusCallback: this.config.publicUrl + WEBHOOK_PATHS.status,
      });
      // Unless reconciliation already found it (this call outlived the claim).
      await this.db.sql.query(`UPDATE "Message" SET "carrierSid" = $2 WHERE id = $1 AND "carrierSid" IS NULL`, [m.id, sent.sid]);
      // A callback can beat the API response here: apply any that arrived before we knew the sid.
      await this.status.applyStored(sent.sid);
    } catch (error) {
      const transport = ((error as Error).cause as NodeJS.ErrnoException | undefined)?.code ?? (error as NodeJS.ErrnoException).code ?? '';
      // Never reached the carrier, or the carrier said "too many requests" (429: refused, not
      // accepted): sending again later cannot duplicate it. Queued again with backoff.
      const retryable = NEVER_CONNECTED.has(transport) || (error instanceof CarrierError && error.status === 429);
      if (retryable && m.attempts < MAX_ATTEMPTS) {
        const retryAt = new Date(this.clock.now().getTime() + 2 ** m.attempts * 1000);
        await this.db.sql.query(`UPDATE "Message" SET status = 'queued', "statusRank" = ${STATUS_RANK.queued}, "sendAfter" = $2, "claimedBy" = NULL WHERE id = $1`, [m.id, retryAt]);
        return;
      }
      if (error instanceof CarrierError && error.status !== null && error.status < 500) {
        const code = error.code !== null ? String(error.code) : null;
        // The opt-out first: whoever sees the message failed with 21610 also finds the patient
        // opted out (a crash in between leaves it to reconcile(): queued again, the claim's recheck cancels it).
        if (code === '21610') await this.status.recordCarrierOptOut(m.orgId, m.conversationId, m.toNumber);
        await this.db.sql.query(
          `UPDATE "Message" SET status = 'failed', "statusRank" = ${STATUS_RANK.failed}, "errorCode" = $2, "errorMessage" = $3, "failedAt" = $4 WHERE id = $1`,
          [m.id, code, carrierErrorMessage(code, error.message), this.clock.now()],
        );
      } else {
        // No answer, or the carrier's own failure: the request may have reached it. The message
        // stays in `sending` under its claim; when the claim expires, reconcile() asks the carrier.
        this.logger.warn(`send of ${m.id} unconfirmed (${(error as Error).message}); it is reconciled with the carrier when its claim expires`);
        return;
      }
    }
    await this.messageEvents.changed({ id: m.id });
  }

  /**
   * Claims (for this instance, until CLAIM_TTL_MS) the messages whose send claim expired with no
   * carrier id, and those with a carrier id but no final status SETTLE_AFTER_MS (or a quarter of
   * their age) after the last look, then asks the carrier about each. Returns how many were claimed (tests call it directly).
   */
  async reconcile(): Promise<number> {
    const now = this.clock.now().getTime();
    const due = await this.db.sql.query<Unsettled>(
      `UPDATE "Message" m SET "claimedBy" = $1, "claimedAt" = $2
         FROM (SELECT id FROM "Message"
                WHERE direction = 'outbound' AND channel IN ('sms', 'mms') AND (
                      (status = 'sending' AND "carrierSid" IS NULL AND "claimedAt" < $3)
                   OR (status IN ('sending', 'sent') AND "carrierSid" IS NOT NULL AND "createdAt" > $5
                       AND "claimedAt" < $2::timestamptz - GREATEST($4::int * interval '1 millisecond', ($2::timestamptz - "createdAt") / 4)))
                ORDER BY "createdAt" LIMIT ${BATCH} FOR UPDATE SKIP LOCKED) due, "Conversation" c
        WHERE m.id = due.id AND c.id = m."conversationId"
        RETURNING m.id, m."orgId", m."conversationId", c."teamId", m.body, m."autoReply", m."fromNumber", m."toNumber", m."carrierSid", m.attempts, m."createdAt"`,
      [this.instance, new Date(now), new Date(now - (this.config.sendClaimTtlMs ?? CLAIM_TTL_MS)), SETTLE_AFTER_MS, new Date(now - SETTLE_WITHIN_MS)],
    );
    // Oldest first, one at a time: two identical lost sends take the carrier's messages in order.
    due.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    for (const m of due) {
      try {
        if (m.carrierSid) {
          const found = await this.carrier.fetchMessage(m.carrierSid);
          await this.status.settle(found.sid, found.status, found.errorCode);
        } else {
          await this.settleLost(m);
        }
      } catch (error) {
        // The carrier cannot be asked now: the claim taken above expires and the next look retries.
        this.logger.warn(`reconciling ${m.id}: ${(error as Error).message}`);
      }
    }
    return due.length;
  }

  /** A send with no carrier id: settle it to the carrier's message if there is one, else send it again. */
  private async settleLost(m: Unsettled): Promise<void> {
    // Every carrier message of the pair since our message was made (a blast to one patient can
    // put hundreds there), so a lost send is never missed, then resent, for being too far down.
    const listed = await this.carrier.listMessages({ from: m.fromNumber, to: m.toNumber, since: new Date(m.createdAt.getTime() - CLOCK_SKEW_MS) });
    // A portal notice went with a token that is stored nowhere: its text is compared masked.
    const text = (body: string) => (m.autoReply === PORTAL_LINK_NOTICE ? withoutPortalToken(body) : body);
    const candidates = listed.filter((c) => text(c.body) === text(m.body));
    const taken = new Set(
      candidates.length
        ? (await this.db.sql.query<{ carrierSid: string }>(`SELECT "carrierSid" FROM "Message" WHERE "carrierSid" = ANY($1::text[])`, [candidates.map((c) => c.sid)])).map((r) => r.carrierSid)
        : [],
    );
    const ours: CarrierMessage | undefined = candidates.filter((c) => !taken.has(c.sid)).sort((a, b) => a.dateCreated.getTime() - b.dateCreated.getTime())[0];
    if (ours) {
      const [stored] = await this.db.sql.query<{ id: string }>(
        `UPDATE "Message" SET "carrierSid" = $2 WHERE id = $1 AND "carrierSid" IS NULL AND status = 'sending' RETURNING id`,
        [m.id, ours.sid],
      );
      if (!stored) return;
      this.logger.log(`message ${m.id} was accepted by the carrier as ${ours.sid} (answer lost); settled to ${ours.status}, not resent`);
      await this.status.applyStored(ours.sid);
      await this.status.settle(ours.sid, ours.status, ours.errorCode);
      return;
    }
    // The carrier never saw it: sending it again cannot duplicate it. The same row goes back to the
    // queue (its id and idempotency key unchanged) and is claimed again like any other.
    if (m.attempts < MAX_ATTEMPTS) {
      await this.db.sql.query(
        `UPDATE "Message" SET status = 'queued', "statusRank" = ${STATUS_RANK.queued}, "sendAfter" = NULL, "claimedBy" = NULL
          WHERE id = $1 AND status = 'sending' AND "carrierSid" IS NULL`,
        [m.id],
      );
      this.wake();
    } else {
      await this.db.sql.query(
        `UPDATE "Message" SET status = 'failed', "statusRank" = ${STATUS_RANK.failed}, "failedAt" = $2,
                "errorMessage" = 'The carrier never received it after ${MAX_ATTEMPTS} attempts.'
          WHERE id = $1 AND status = 'sending' AND "carrierSid" IS NULL`,
        [m.id, this.clock.now()],
      );
    }
    await this.messageEvents.changed({ id: m.id });
  }
}

async function sleepUntil(at: number): Promise<void> {
  // A timer may fire a fraction of a millisecond early.
  while (at > localNow()) await new Promise((resolve) => setTimeout(resolve, Math.ceil(at - localNow())));
}

/** Milliseconds on a clock that never jumps (NTP steps), in the epoch's range. */
function localNow(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * The send slots this instance booked, per number, as ranges [start, end) on the database's
 * clock. A booking that began where this instance's previous one ended (the number's next free
 * slot was still that end: nobody booked in between, even if the slots start later) continues
 * it: the instance's messages are one line until another instance's booking cuts in.
 */
class BookedRanges {
  private readonly ranges = new Map<string, { start: number; end: number }[]>();

  add(booking: Booking, dbNow: number): void {
    const ranges = (this.ranges.get(booking.fromNumber) ?? []).filter((r) => r.end > dbNow - 60_000);
    const last = ranges.at(-1);
    if (last && Math.abs(last.end - booking.after) <= 1) last.end = Math.max(last.end, booking.end);
    else ranges.push({ start: booking.start, end: booking.end });
    this.ranges.set(booking.fromNumber, ranges);
  }

  /** Where the booking holding this slot ends: the next slot that may be another instance's. */
  endOf(fromNumber: string, slot: number): number {
    return this.ranges.get(fromNumber)?.find((r) => slot >= r.start && slot < r.end)?.end ?? slot;
  }

  /** The booking ending at `end` grew (extendBooking). */
  extend(fromNumber: string, end: number, newEnd: number): void {
    const range = this.ranges.get(fromNumber)?.find((r) => r.end === end);
    if (range) range.end = Math.max(range.end, newEnd);
  }
}

/**
 * Maps the database's clock (slots) to this process's. Each claim reads the database clock;
 * that reading was taken before the answer arrived, so `arrival - reading` overestimates the
 * offset by the query's latency. The smallest recent estimate is the tightest, and it never
 * maps a slot earlier than it is: a slow answer makes messages late, never early.
 */
class DatabaseClock {
  private samples: { at: number; offset: number }[] = [];

  sample(localArrival: number, databaseReading: number): void {
    this.samples = [...this.samples.filter((s) => s.at > localArrival - 30_000), { at: localArrival, offset: localArrival - databaseReading }];
  }

  toLocal(databaseTime: number): number {
    return databaseTime + this.offset();
  }

  /** The database's time at a local time, on the same estimate; before any reading, the distant past. */
  toDatabase(localTime: number): number {
    return this.samples.length ? localTime - this.offset() : -Infinity;
  }

  private offset(): number {
    return Math.min(...this.samples.map((s) => s.offset));
  }
}
