import { Inject, Injectable } from '@nestjs/common';
import { cohortFilterSchema, describePhi, detectPhi, isQuietTime, localParts, nextSendTime, renderTemplate, smsSegments, STATUS_RANK } from '@caretext/shared';
import { TRPCError } from '@trpc/server';
import { AccessService, type Actor } from '../access/access.service.js';
import { AuditService } from '../audit/audit.service.js';
import { CLOCK, type Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import { type Blast, type Org, Prisma } from '../generated/prisma/client.js';
import { DATABASE } from '../injection-tokens.js';
import { MAX_BODY } from '../messages/messaging.service.js';
import { refuse } from '../messages/send-blocked.js';
import { SendWorker } from '../messages/send-worker.js';
import { SmsEligibility } from '../messages/sms-eligibility.js';
import { type Audience, blastAudience, patientsAudience, type SkipReason, withSkipReasons } from './blast-audience.js';

export const MAX_COHORTS = 20;
export const RECIPIENTS_PAGE_MAX = 500;
/** Patients one Add Recipients may pick. */
export const MAX_ADDED_RECIPIENTS = 500;
/** The recipient table's filters, one per stat card (and queued: not sent yet). */
export const RECIPIENT_FILTERS = ['sent', 'skipped', 'opted_out', 'blocked', 'replied', 'failed', 'queued'] as const;
export type RecipientFilter = (typeof RECIPIENT_FILTERS)[number];

type Team = { id: string; name: string };
export type BlastInput = { cohortIds: string[]; name?: string; body: string; marketing: boolean; idempotencyKey: string; confirmPhi?: boolean };

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A message of the blast that is still on its way (the worker has not finished with it). */
const IN_FLIGHT = Prisma.sql`('queued', 'sending')`;
const SENT = Prisma.sql`('sent', 'delivered')`;
const FAILED = Prisma.sql`('failed', 'undelivered', 'canceled')`;
/** What Retry Failed sends again: the carrier refused or could not deliver it (not a canceled one). */
const RETRYABLE = Prisma.sql`('failed', 'undelivered')`;

/**
 * SMS blasts: the union of cohorts, skipped or pending per patient by one set-based statement
 * (blast-audience.ts) that both the preview and the send run. The send writes the recipient
 * ledger and one queued Message per pending recipient in one transaction; the send worker
 * (messages/send-worker.ts) then delivers them like any other message: paced per number across
 * instances, claimed with row locks, never twice. Sending is for members of the number's team;
 * reading is for members of the blast's team.
 */
@Injectable()
export class BlastsService {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly access: AccessService,
    private readonly audit: AuditService,
    private readonly eligibility: SmsEligibility,
    private readonly worker: SendWorker,
  ) {}

  /** Will send / skipped per reason, from the very statement the send writes its ledger from. */
  async preview(actor: Actor, org: Org, team: Team, input: { cohortIds: string[]; marketing: boolean }) {
    const { audience } = await this.prepare(actor, org, team, input);
    const rows = await this.db.prisma.$queryRaw<{ reason: SkipReason | null; count: number }[]>`
      SELECT a."skipReason" AS reason, count(*)::int AS count FROM (${blastAudience(audience)}) a GROUP BY 1`;
    const of = (reason: SkipReason | null) => rows.find((r) => r.reason === reason)?.count ?? 0;
    return {
      total: rows.reduce((sum, r) => sum + r.count, 0),
      willSend: of(null),
      optedOut: of('opted_out'),
      noContactInfo: of('no_phone'),
      landline: of('landline'),
      blocked: of('blocked'),
      /** Marketing only: always 0 for a transactional blast. */
      notOptedIn: of('not_opted_in'),
    };
  }

  /**
   * Creates and starts the blast. The same idempotencyKey from the same person returns the
   * first blast (`duplicate: true`) and writes nothing: the unique key on Blast makes a
   * concurrent second submit wait for the first and then fail, not write a second ledger.
   */
  async send(actor: Actor, org: Org, team: Team, input: BlastInput): Promise<{ duplicate: boolean; blast: ReturnType<typeof view> }> {
    const earlier = await this.findByKey(actor, input.idempotencyKey);
    if (earlier) return { duplicate: true, blast: view(earlier) };
    const { audience, number, cohorts } = await this.prepare(actor, org, team, input);
    const template = input.body.trim();
    if (!renderTemplate(template, { patient: { id: '' }, org: { name: org.name } }).trim()) throw refuse('empty', 'Write a message first.');
    // The PHI guard of a single send, on the text as written (it goes to every recipient as SMS):
    // refused with what was found unless the sender confirms, and then the patterns are audited.
    const phi = detectPhi(template);
    if (phi.length && !input.confirmPhi) throw refuse('phi', describePhi(phi), { findings: phi });
    const phiOverride = phi.length ? [...new Set(phi.map((f) => f.kind))] : null;
    const now = this.clock.now();
    const name = input.name?.trim() || autoName(cohorts.map((c) => c.name), now, org.timeZone);
    try {
      const blast = await this.db.prisma.$transaction(
        async (tx) => {
          const blast = await tx.blast.create({
            data: {
              orgId: actor.orgId,
              teamId: team.id,
              phoneNumberId: number.id,
              name,
              body: template,
              cohortIds: cohorts.map((c) => c.id),
              marketing: input.marketing,
              status: 'sending',
              createdById: actor.userId,
              idempotencyKey: input.idempotencyKey,
              createdAt: now,
              sentAt: now,
            },
          });
          await tx.$executeRaw`
            INSERT INTO "BlastRecipient" ("id", "blastId", "patientId", "status", "skipReason", "messageId", "createdAt")
            SELECT gen_random_uuid()::text, ${blast.id}, a."patientId", CASE WHEN a."skipReason" IS NULL THEN 'pending' ELSE 'skipped' END, a."skipReason",
                   CASE WHEN a."skipReason" IS NULL THEN gen_random_uuid()::text END, ${now}
              FROM (${blastAudience(audience)}) a`;
          const pending = await tx.$queryRaw<PendingRow[]>`
            SELECT r."messageId", p."id", p."firstName", p."lastName", p."preferredName", p."dob", p."phone", p."email", p."timeZone"
              FROM "BlastRecipient" r JOIN "Patient" p ON p."id" = r."patientId"
             WHERE r."blastId" = ${blast.id} AND r."status" = 'pending'`;
          const m = this.messagesFor(pending, template, org, now);
          // Conversations set-based: the patient's thread with this number, created when missing,
          // its last message set to this one (no second pass over them).
          await tx.$executeRaw`
            INSERT INTO "Conversation" ("id", "orgId", "teamId", "kind", "phoneNumberId", "patientId", "lastMessageAt", "lastMessagePreview", "createdAt")
            SELECT gen_random_uuid()::text, ${actor.orgId}, ${team.id}, 'sms', ${number.id}, u.pid, ${now}, left(u.body, 140), ${now}
              FROM unnest(${m.patientIds}::text[], ${m.bodies}::text[]) AS u(pid, body)
            ON CONFLICT ("phoneNumberId", "patientId", "kind") DO UPDATE SET "lastMessageAt" = EXCLUDED."lastMessageAt", "lastMessagePreview" = EXCLUDED."lastMessagePreview"`;
          // One unnest per column, with the ids the ledger already holds; every message carries the
          // blast as its idempotency key, so the Message sendKey unique index also allows one
          // message per conversation and blast.
          await tx.$executeRaw`
            INSERT INTO "Message" ("id", "orgId", "conversationId", "direction", "channel", "body", "status", "statusRank", "fromNumber", "toNumber",
                                   "senderId", "idempotencyKey", "segments", "encoding", "sendAfter", "automated", "createdAt")
            SELECT u.id, ${actor.orgId}, c."id", 'outbound', 'sms', u.body, 'queued', ${STATUS_RANK.queued}, ${number.e164}, u.phone,
                   ${actor.userId}, ${`blast:${blast.id}`}, u.segments::int, u.encoding, NULLIF(u.after, '')::timestamptz, true, ${now}
              FROM unnest(${m.ids}::text[], ${m.patientIds}::text[], ${m.bodies}::text[], ${m.phones}::text[], ${m.segments}::text[], ${m.encodings}::text[], ${m.sendAfter}::text[])
                   AS u(id, pid, body, phone, segments, encoding, after)
              JOIN "Conversation" c ON c."phoneNumberId" = ${number.id} AND c."patientId" = u.pid AND c."kind" = 'sms'`;
          await this.audit.record(
            actor,
            {
              action: 'blast.sent',
              summary: `Sent the ${input.marketing ? 'marketing' : 'transactional'} SMS blast "${name}" from ${team.name}: ${m.ids.length} queued`,
              targetType: 'blast',
              targetId: blast.id,
              data: { cohortIds: blast.cohortIds, queued: m.ids.length, phoneNumberId: number.id, ...(phiOverride ? { phiOverride } : {}) },
            },
            tx,
          );
          return blast;
        },
        { timeout: 300_000, maxWait: 30_000 },
      );
      this.worker.wake();
      return { duplicate: false, blast: view(blast) };
    } catch (error) {
      if ((error as { code?: string }).code === 'P2002') {
        const winner = await this.findByKey(actor, input.idempotencyKey);
        if (winner) return { duplicate: true, blast: view(winner) };
      }
      throw error;
    }
  }

  /** The rendered text, segments and quiet-hours deferral per pending recipient, as columns. */
  private messagesFor(rows: PendingRow[], template: string, org: Org, now: Date) {
    const out = { ids: [] as string[], patientIds: [] as string[], bodies: [] as string[], phones: [] as string[], segments: [] as string[], encodings: [] as string[], sendAfter: [] as string[] };
    const deferral = new Map<string, string>();
    const afterFor = (timeZone: string) => {
      if (!org.quietHoursEnabled) return '';
      let after = deferral.get(timeZone);
      if (after === undefined) {
        const quiet = { start: org.quietHoursStart, end: org.quietHoursEnd, timeZone };
        // Blasts are automated: quiet hours defer them to the patient's next allowed time, never drop them.
        after = isQuietTime(now, quiet) ? nextSendTime(now, quiet).toISOString() : '';
        deferral.set(timeZone, after);
      }
      return after;
    };
    for (const p of rows) {
      const body = renderTemplate(template, {
        patient: { id: p.id, firstName: p.firstName ?? undefined, lastName: p.lastName ?? undefined, preferredName: p.preferredName ?? undefined, dob: p.dob ?? undefined, phone: p.phone ?? undefined, email: p.email ?? undefined },
        org: { name: org.name },
      }).trim();
      if (body.length > MAX_BODY) {
        throw new TRPCError({ code: 'BAD_REQUEST', message: `For some patients the message is ${body.length} characters once its tokens are filled in; the limit is ${MAX_BODY}. Shorten it.` });
      }
      const seg = smsSegments(body);
      out.ids.push(p.messageId);
      out.patientIds.push(p.id);
      out.bodies.push(body);
      out.phones.push(p.phone);
      out.segments.push(String(seg.segments));
      out.encodings.push(seg.encoding);
      out.sendAfter.push(afterFor(p.timeZone ?? org.timeZone));
    }
    return out;
  }

  /** The team's number, the org's plan and policy, and this org's cohorts (another org's: NOT_FOUND). */
  private async prepare(actor: Actor, org: Org, team: Team, input: { cohortIds: string[]; marketing: boolean }) {
    const orgBlocker = this.eligibility.orgBlocker(org);
    if (orgBlocker) throw refuse(orgBlocker.reason, orgBlocker.message);
    const number = await this.eligibility.teamNumber(actor.orgId, team.id);
    if (!number) throw refuse('no_number', `The team ${team.name} has no phone number. An admin can assign one under Directory → Phone numbers.`);
    const ids = [...new Set(input.cohortIds)];
    const rows = await this.db.prisma.cohort.findMany({ where: { orgId: actor.orgId, id: { in: ids } }, orderBy: { name: 'asc' } });
    if (rows.length !== ids.length) throw new TRPCError({ code: 'NOT_FOUND', message: 'Cohort not found.' });
    const filters = rows.map((row) => {
      const parsed = cohortFilterSchema.safeParse(row.filter);
      // A stored filter that no longer parses must never widen to "every patient".
      if (!parsed.success) throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: `Cohort ${row.id} has a filter this version cannot read.` });
      return parsed.data;
    });
    const audience: Audience = { orgId: actor.orgId, phoneNumberId: number.id, marketing: input.marketing, filters, at: { timeZone: org.timeZone, now: this.clock.now() } };
    return { audience, number, cohorts: rows };
  }

  private findByKey(actor: Actor, idempotencyKey: string) {
    return this.db.prisma.blast.findUnique({ where: { orgId_createdById_idempotencyKey: { orgId: actor.orgId, createdById: actor.userId, idempotencyKey } } });
  }

  /** Blasts of the caller's teams, newest first. */
  async list(actor: Actor) {
    const teamIds = await this.access.teamIdsFor(actor);
    await this.settle(actor.orgId);
    const rows = await this.db.prisma.blast.findMany({ where: { orgId: actor.orgId, teamId: { in: teamIds } }, orderBy: { createdAt: 'desc' }, take: 200 });
    const counts = await this.listCounts(rows.map((b) => b.id));
    return rows.map((b) => ({ ...view(b), ...(counts.get(b.id) ?? { sent: 0, total: 0 }) }));
  }

  async get(actor: Actor, blastId: string) {
    await this.find(actor, blastId);
    await this.settle(actor.orgId);
    const blast = await this.db.prisma.blast.findUniqueOrThrow({ where: { id: blastId } });
    return { ...view(blast), stats: await this.stats(blast.id) };
  }

  /** The recipient table (optionally one stat card's recipients) with the stats; audited: it shows patients. */
  async recipients(actor: Actor, input: { blastId: string; status?: RecipientFilter; limit: number; offset: number }) {
    const blast = await this.find(actor, input.blastId);
    const rows = await this.db.prisma.$queryRaw<RecipientRow[]>`
      SELECT * FROM (
        SELECT r."id", r."patientId", p."firstName", p."lastName", p."phone", r."skipReason", r."messageId",
               m."status" AS "messageStatus", m."errorCode", m."errorMessage", m."sentAt", m."deliveredAt", m."failedAt",
               CASE WHEN r."status" = 'skipped' THEN 'skipped' WHEN m."status" IN ${SENT} THEN 'sent' WHEN m."status" IN ${FAILED} THEN 'failed' ELSE 'queued' END AS "status",
               (SELECT min(i."createdAt") FROM "Message" i WHERE i."conversationId" = m."conversationId" AND i."direction" = 'inbound' AND i."createdAt" > m."createdAt") AS "repliedAt"
          FROM "BlastRecipient" r
          JOIN "Patient" p ON p."id" = r."patientId"
          LEFT JOIN "Message" m ON m."id" = r."messageId"
         WHERE r."blastId" = ${blast.id}) x
       WHERE ${recipientFilter(input.status)}
       ORDER BY x."lastName" ASC NULLS LAST, x."firstName" ASC NULLS LAST, x."id" ASC
       LIMIT ${input.limit} OFFSET ${input.offset}`;
    await this.audit.record(actor, { action: 'blast.recipients_viewed', summary: `Viewed the recipients of the blast "${blast.name}"`, targetType: 'blast', targetId: blast.id, data: { shown: rows.length, status: input.status ?? null } });
    return { recipients: rows, stats: await this.stats(blast.id) };
  }

  /** The stat cards, from the recipients joined with their messages. */
  private async stats(blastId: string) {
    const [row] = await this.db.prisma.$queryRaw<Stats[]>`
      SELECT count(*)::int AS "total",
             count(*) FILTER (WHERE m."status" IN ${SENT})::int AS "sent",
             count(*) FILTER (WHERE r."status" = 'skipped')::int AS "skipped",
             count(*) FILTER (WHERE r."skipReason" = 'opted_out')::int AS "optedOut",
             count(*) FILTER (WHERE r."skipReason" = 'blocked')::int AS "blocked",
             count(*) FILTER (WHERE EXISTS (SELECT 1 FROM "Message" i WHERE i."conversationId" = m."conversationId" AND i."direction" = 'inbound' AND i."createdAt" > m."createdAt"))::int AS "replied",
             count(*) FILTER (WHERE m."status" IN ${FAILED})::int AS "failed",
             count(*) FILTER (WHERE m."status" IN ${IN_FLIGHT})::int AS "queued"
        FROM "BlastRecipient" r LEFT JOIN "Message" m ON m."id" = r."messageId"
       WHERE r."blastId" = ${blastId}`;
    return row!;
  }

  /** Blasts whose every message has left the queue are completed. */
  private async settle(orgId: string) {
    await this.db.prisma.$executeRaw`
      UPDATE "Blast" b SET "status" = 'completed', "completedAt" = ${this.clock.now()}
       WHERE b."orgId" = ${orgId} AND b."status" = 'sending'
         AND NOT EXISTS (SELECT 1 FROM "BlastRecipient" r JOIN "Message" m ON m."id" = r."messageId" WHERE r."blastId" = b."id" AND m."status" IN ${IN_FLIGHT})`;
  }

  /** This org's blast (else NOT_FOUND), of a team the caller is on (else FORBIDDEN). */
  private async find(actor: Actor, blastId: string): Promise<Blast> {
    const blast = await this.db.prisma.blast.findFirst({ where: { id: blastId, orgId: actor.orgId } });
    if (!blast) throw new TRPCError({ code: 'NOT_FOUND', message: 'Blast not found.' });
    await this.access.requireTeamMember(actor, blast.teamId);
    return blast;
  }

  // ---- after the send: Retry Failed, Add Recipients --------------------------------------------

  /**
   * Retry Failed: each recipient whose latest message failed or went undelivered gets a new
   * message (never one that was sent or delivered), if the skip rules still let them receive it
   * (a STOP since, a landline found by the carrier: not retried). One UPDATE claims them: it
   * moves each claimed recipient to a new message id, so a concurrent or repeated call finds no
   * failed message behind them any more (the row lock makes it wait, then skip). The message key
   * carries the recipient's retry count, so the Message unique key refuses a second copy too.
   */
  async retryFailed(actor: Actor, org: Org, blastId: string) {
    const blast = await this.find(actor, blastId);
    const number = await this.numberOf(org, blast);
    const now = this.clock.now();
    const eligible = withSkipReasons(
      { orgId: actor.orgId, phoneNumberId: number.id, marketing: blast.marketing },
      Prisma.sql`SELECT "patientId" FROM "BlastRecipient" WHERE "blastId" = ${blast.id}`,
    );
    const result = await this.db.prisma.$transaction(
      async (tx) => {
        const claimed = await tx.$queryRaw<(PendingRow & { retries: number })[]>`
          UPDATE "BlastRecipient" r SET "messageId" = gen_random_uuid()::text, "retries" = r."retries" + 1
            FROM "Message" m, "Patient" p, (${eligible}) e
           WHERE r."blastId" = ${blast.id} AND r."status" = 'pending'
             AND m."id" = r."messageId" AND m."status" IN ${RETRYABLE}
             AND p."id" = r."patientId" AND e."patientId" = r."patientId" AND e."skipReason" IS NULL
          RETURNING r."messageId", r."retries", p."id", p."firstName", p."lastName", p."preferredName", p."dob", p."phone", p."email", p."timeZone"`;
        const [left] = await tx.$queryRaw<{ count: number }[]>`
          SELECT count(*)::int AS count FROM "BlastRecipient" r JOIN "Message" m ON m."id" = r."messageId"
           WHERE r."blastId" = ${blast.id} AND m."status" IN ${RETRYABLE}`;
        if (claimed.length) {
          await this.enqueue(tx, blast, number, org, now, claimed, (row) => `blast:${blast.id}:retry:${row.retries}`);
          await tx.blast.update({ where: { id: blast.id }, data: { status: 'sending', completedAt: null } });
        }
        await this.audit.record(
          actor,
          {
            action: 'blast.retried',
            summary: `Retried the failed messages of the blast "${blast.name}": ${claimed.length} queued again`,
            targetType: 'blast',
            targetId: blast.id,
            data: { retried: claimed.length, notRetried: left!.count },
          },
          tx,
        );
        return { retried: claimed.length, notRetried: left!.count };
      },
      { timeout: 300_000, maxWait: 30_000 },
    );
    if (result.retried) this.worker.wake();
    return result;
  }

  /**
   * Add Recipients: hand-picked patients of this org join the blast with the blast's body,
   * number and marketing setting, through the same skip rules as the cohorts were. Patients
   * already in the blast are left as they are and reported (the recipient key is unique per
   * blast and patient, so a double click adds each once).
   */
  async addRecipients(actor: Actor, org: Org, input: { blastId: string; patientIds: string[] }) {
    const blast = await this.find(actor, input.blastId);
    const number = await this.numberOf(org, blast);
    const ids = [...new Set(input.patientIds)];
    const known = await this.db.prisma.patient.count({ where: { orgId: actor.orgId, id: { in: ids } } });
    if (known !== ids.length) throw new TRPCError({ code: 'NOT_FOUND', message: 'Patient not found.' });
    const now = this.clock.now();
    const audience = patientsAudience({ orgId: actor.orgId, phoneNumberId: number.id, marketing: blast.marketing }, ids);
    const result = await this.db.prisma.$transaction(
      async (tx) => {
        const added = await tx.$queryRaw<{ patientId: string; skipReason: SkipReason | null }[]>`
          INSERT INTO "BlastRecipient" ("id", "blastId", "patientId", "status", "skipReason", "messageId", "createdAt")
          SELECT gen_random_uuid()::text, ${blast.id}, a."patientId", CASE WHEN a."skipReason" IS NULL THEN 'pending' ELSE 'skipped' END, a."skipReason",
                 CASE WHEN a."skipReason" IS NULL THEN gen_random_uuid()::text END, ${now}
            FROM (${audience}) a
          ON CONFLICT ("blastId", "patientId") DO NOTHING
          RETURNING "patientId", "skipReason"`;
        const queuedIds = added.filter((r) => r.skipReason === null).map((r) => r.patientId);
        const pending = await tx.$queryRaw<PendingRow[]>`
          SELECT r."messageId", p."id", p."firstName", p."lastName", p."preferredName", p."dob", p."phone", p."email", p."timeZone"
            FROM "BlastRecipient" r JOIN "Patient" p ON p."id" = r."patientId"
           WHERE r."blastId" = ${blast.id} AND r."patientId" = ANY(${queuedIds}::text[])`;
        if (pending.length) {
          await this.enqueue(tx, blast, number, org, now, pending, () => `blast:${blast.id}`);
          await tx.blast.update({ where: { id: blast.id }, data: { status: 'sending', completedAt: null } });
        }
        const addedIds = new Set(added.map((r) => r.patientId));
        const skipped: Partial<Record<SkipReason, number>> = {};
        for (const r of added) if (r.skipReason) skipped[r.skipReason] = (skipped[r.skipReason] ?? 0) + 1;
        const out = { added: added.length, queued: pending.length, skipped, alreadyIncluded: ids.filter((id) => !addedIds.has(id)) };
        await this.audit.record(
          actor,
          {
            action: 'blast.recipients_added',
            summary: `Added ${added.length} recipient(s) to the blast "${blast.name}": ${pending.length} queued`,
            targetType: 'blast',
            targetId: blast.id,
            data: { added: added.length, queued: pending.length, skipped, alreadyIncluded: out.alreadyIncluded.length },
          },
          tx,
        );
        return out;
      },
      { timeout: 300_000, maxWait: 30_000 },
    );
    if (result.queued) this.worker.wake();
    return result;
  }

  /** Sent / total per blast for the list, in one grouped statement. */
  private async listCounts(blastIds: string[]) {
    const rows = await this.db.prisma.$queryRaw<{ blastId: string; sent: number; total: number }[]>`
      SELECT r."blastId", count(*) FILTER (WHERE m."status" IN ${SENT})::int AS "sent", count(*)::int AS "total"
        FROM "BlastRecipient" r LEFT JOIN "Message" m ON m."id" = r."messageId"
       WHERE r."blastId" = ANY(${blastIds}::text[])
       GROUP BY 1`;
    return new Map(rows.map((r) => [r.blastId, { sent: r.sent, total: r.total }]));
  }

  /** The blast's own number, while SMS is on for the org and the number is still the org's. */
  private async numberOf(org: Org, blast: Blast) {
    const orgBlocker = this.eligibility.orgBlocker(org);
    if (orgBlocker) throw refuse(orgBlocker.reason, orgBlocker.message);
    const number = await this.db.prisma.phoneNumber.findFirst({ where: { id: blast.phoneNumberId, orgId: blast.orgId, status: 'active' } });
    if (!number) throw refuse('number_released', 'The number this blast was sent from is no longer active, so nothing more can be sent from it. Duplicate the blast to send from another number.');
    return number;
  }

  /**
   * Queued messages for recipients whose message ids are already on their rows, in each
   * patient's conversation with the number (created when missing), as the send does; sent in
   * the name of the blast's creator, each with `key(row)` as its idempotency key.
   */
  private async enqueue<R extends PendingRow>(tx: Prisma.TransactionClient, blast: Blast, number: { id: string; e164: string }, org: Org, now: Date, rows: R[], key: (row: R) => string) {
    const m = this.messagesFor(rows, blast.body, org, now);
    const keys = rows.map(key);
    await tx.$executeRaw`
      INSERT INTO "Conversation" ("id", "orgId", "teamId", "kind", "phoneNumberId", "patientId", "lastMessageAt", "lastMessagePreview", "createdAt")
      SELECT gen_random_uuid()::text, ${blast.orgId}, ${blast.teamId}, 'sms', ${number.id}, u.pid, ${now}, left(u.body, 140), ${now}
        FROM unnest(${m.patientIds}::text[], ${m.bodies}::text[]) AS u(pid, body)
      ON CONFLICT ("phoneNumberId", "patientId", "kind") DO UPDATE SET "lastMessageAt" = EXCLUDED."lastMessageAt", "lastMessagePreview" = EXCLUDED."lastMessagePreview"`;
    await tx.$executeRaw`
      INSERT INTO "Message" ("id", "orgId", "conversationId", "direction", "channel", "body", "status", "statusRank", "fromNumber", "toNumber",
                             "senderId", "idempotencyKey", "segments", "encoding", "sendAfter", "automated", "createdAt")
      SELECT u.id, ${blast.orgId}, c."id", 'outbound', 'sms', u.body, 'queued', ${STATUS_RANK.queued}, ${number.e164}, u.phone,
             ${blast.createdById}, u.key, u.segments::int, u.encoding, NULLIF(u.after, '')::timestamptz, true, ${now}
        FROM unnest(${m.ids}::text[], ${m.patientIds}::text[], ${m.bodies}::text[], ${m.phones}::text[], ${m.segments}::text[], ${m.encodings}::text[], ${m.sendAfter}::text[], ${keys}::text[])
             AS u(id, pid, body, phone, segments, encoding, after, key)
        JOIN "Conversation" c ON c."phoneNumberId" = ${number.id} AND c."patientId" = u.pid AND c."kind" = 'sms'`;
  }
}

function recipientFilter(status: RecipientFilter | undefined): Prisma.Sql {
  switch (status) {
    case undefined:
      return Prisma.sql`true`;
    case 'opted_out':
    case 'blocked':
      return Prisma.sql`x."skipReason" = ${status}`;
    case 'replied':
      return Prisma.sql`x."repliedAt" IS NOT NULL`;
    default:
      return Prisma.sql`x."status" = ${status}`;
  }
}

/** "Diabetics + 1 more, Apr 22" in the org's time zone. */
function autoName(cohortNames: string[], now: Date, timeZone: string): string {
  const d = localParts(now, timeZone);
  const who = cohortNames.length > 1 ? `${cohortNames[0]} + ${cohortNames.length - 1} more` : (cohortNames[0] ?? 'Blast');
  return `${who}, ${MONTHS[d.month - 1]} ${d.day}, ${d.year}`.slice(0, 200);
}

function view(b: Blast) {
  return { id: b.id, teamId: b.teamId, phoneNumberId: b.phoneNumberId, name: b.name, body: b.body, cohortIds: b.cohortIds, marketing: b.marketing, status: b.status, createdById: b.createdById, createdAt: b.createdAt, sentAt: b.sentAt, completedAt: b.completedAt };
}

type PendingRow = { messageId: string; id: string; firstName: string | null; lastName: string | null; preferredName: string | null; dob: string | null; phone: string; email: string | null; timeZone: string | null };
type Stats = { total: number; sent: number; skipped: number; optedOut: number; blocked: number; replied: number; failed: number; queued: number };
type RecipientRow = {
  id: string;
  patientId: string;
  firstName: string | null;
  lastName: string | null;
  phone: string | null;
  skipReason: SkipReason | null;
  messageId: string | null;
  messageStatus: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  sentAt: Date | null;
  deliveredAt: Date | null;
  failedAt: Date | null;
  status: 'skipped' | 'sent' | 'failed' | 'queued';
  repliedAt: Date | null;
};
