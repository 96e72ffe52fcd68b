import { Inject, Injectable } from '@nestjs/common';
import { calendarDate, cohortFilterSchema, describePhi, detectPhi, isQuietTime, localParts, nextSendTime, renderTemplate, smsSegments, STATUS_RANK, zonedTime } from '@caretext/shared';
import { TRPCError } from '@trpc/server';
import { AccessService, type Actor } from '../access/access.service.js';
import { AuditService } from '../audit/audit.service.js';
import { CARRIER, type Carrier, CarrierError } from '../carriers/carrier.js';
import { CLOCK, type Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import { type Blast, type Org, Prisma } from '../generated/prisma/client.js';
import { CONFIG, DATABASE } from '../injection-tokens.js';
import { carrierErrorMessage } from '../messages/carrier-error-messages.js';
import { WEBHOOK_PATHS } from '../numbers/numbers.service.js';
import { MAX_BODY } from '../messages/messaging.service.js';
import { MessageEvents } from '../messages/message-events.js';
import { refuse } from '../messages/send-blocked.js';
import { SendWorker } from '../messages/send-worker.js';
import { SmsEligibility } from '../messages/sms-eligibility.js';
import { BlastImagesService, mediaRefs } from './blast-images.js';
import { type Audience, blastAudience, patientsAudience, type SkipReason, withSkipReasons } from './blast-audience.js';

export const MAX_COHORTS = 20;
export const RECIPIENTS_PAGE_MAX = 500;
/** Pending recipients rendered and written per round trip by a send (bounds the server's memory, not the transaction). */
export const SEND_PAGE = 5_000;
/** Patients one Add Recipients may pick. */
export const MAX_ADDED_RECIPIENTS = 500;
/** Patients one blast to a selection (Bulk Text, ?patients=) may name. */
export const MAX_SELECTED_PATIENTS = 5_000;
/** Names the wizard shows of a selection (the rest are counted). */
export const SELECTION_NAMES_SHOWN = 50;
/** The recipient table's filters, one per stat card (and queued: not sent yet). */
export const RECIPIENT_FILTERS = ['sent', 'skipped', 'opted_out', 'blocked', 'replied', 'failed', 'queued', 'canceled'] as const;
export type RecipientFilter = (typeof RECIPIENT_FILTERS)[number];

type Team = { id: string; name: string };
/**
 * Who a blast goes to: the union of saved cohorts, or patients picked by hand (`patientIds`:
 * the Patients page's Bulk Text, the extension's "Text these N patients"). Exactly one of the two.
 */
export type AudienceInput = { cohortIds?: string[]; patientIds?: string[]; marketing: boolean };
/**
 * `scheduledAt`: a local date and time ("2026-05-04T09:30") in the org's time zone; `perDay`: at
 * most this many messages a day, from the start (the scheduled time, or now).
 */
export type BlastInput = AudienceInput & { name?: string; body: string; idempotencyKey: string; confirmPhi?: boolean; scheduledAt?: string; perDay?: number; imageIds?: string[] };
/** Send Test to Me: the wizard's audience and text, and its images (MMS) if any. */
export type BlastTestInput = AudienceInput & { body: string; patientId?: string; confirmPhi?: boolean; imageIds?: string[] };
/** How far ahead a blast may be scheduled. */
export const MAX_SCHEDULE_DAYS = 366;
/** The message of a recipient whose blast was canceled before the worker claimed it. */
export const CANCELED_WITH_BLAST = 'Not sent: the blast was canceled.';
/** Send Test to Me: at most this many tests per person in TEST_WINDOW_MS. */
export const TEST_LIMIT = 5;
export const TEST_WINDOW_MS = 10 * 60_000;

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
  /** Rows per page of a send (SEND_PAGE; tests make it small to cross pages). */
  static pageSize = SEND_PAGE;

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly access: AccessService,
    private readonly audit: AuditService,
    private readonly eligibility: SmsEligibility,
    private readonly worker: SendWorker,
    private readonly messageEvents: MessageEvents,
    @Inject(CARRIER) private readonly carrier: Carrier,
    @Inject(CONFIG) private readonly config: Config,
    private readonly images: BlastImagesService,
  ) {}

  /** Will send / skipped per reason, from the very statement the send writes its ledger from. */
  async preview(actor: Actor, org: Org, team: Team, input: AudienceInput) {
    const { audience, notFound } = await this.prepare(actor, org, team, input);
    const rows = await this.db.prisma.$queryRaw<{ reason: SkipReason | null; count: number }[]>`
      SELECT a."skipReason" AS reason, count(*)::int AS count FROM (${audience}) a GROUP BY 1`;
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
      /** A selection only: ids that are no patient of this org (deleted, or never were); never sent to, not in total. */
      notFound,
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
    const { audience, number, cohorts, selection, notFound } = await this.prepare(actor, org, team, input);
    if (selection?.length === 0) throw noneFound();
    const imageIds = await this.images.requireUsable(actor, input.imageIds);
    const channel = imageIds.length ? 'mms' : 'sms';
    const template = input.body.trim();
    if (!renderTemplate(template, { patient: { id: '' }, org: { name: org.name } }).trim()) throw refuse('empty', 'Write a message first.');
    // The PHI guard of a single send, on the text as written (it goes to every recipient as SMS):
    // refused with what was found unless the sender confirms, and then the patterns are audited.
    const phi = detectPhi(template);
    if (phi.length && !input.confirmPhi) throw refuse('phi', describePhi(phi), { findings: phi });
    const phiOverride = phi.length ? [...new Set(phi.map((f) => f.kind))] : null;
    const now = this.clock.now();
    const start = input.scheduledAt ? scheduledInstant(input.scheduledAt, org.timeZone, now) : null;
    const name = input.name?.trim() || autoName(selection ? [SELECTION_NAME] : cohorts.map((c) => c.name), start ?? now, org.timeZone);
    // The conversations the blast wrote a message into: the team's open inboxes learn of them after the commit.
    let changed: ChangedConversation[] = [];
    try {
      const blast = await this.db.prisma.$transaction(
        async (tx) => {
          changed = [];
          const blast = await tx.blast.create({
            data: {
              orgId: actor.orgId,
              teamId: team.id,
              phoneNumberId: number.id,
              name,
              body: template,
              cohortIds: cohorts.map((c) => c.id),
              patientIds: selection ?? [],
              imageIds,
              marketing: input.marketing,
              status: start ? 'scheduled' : 'sending',
              scheduledAt: start,
              perDay: input.perDay ?? null,
              createdById: actor.userId,
              idempotencyKey: input.idempotencyKey,
              createdAt: now,
              sentAt: start ? null : now,
            },
          });
          await tx.$executeRaw`
            INSERT INTO "BlastRecipient" ("id", "blastId", "patientId", "status", "skipReason", "messageId", "createdAt")
            SELECT gen_random_uuid()::text, ${blast.id}, a."patientId", CASE WHEN a."skipReason" IS NULL THEN 'pending' ELSE 'skipped' END, a."skipReason",
                   CASE WHEN a."skipReason" IS NULL THEN gen_random_uuid()::text END, ${now}
              FROM (${audience}) a`;
          // The pending recipients in name order, a page at a time through a cursor (same
          // transaction): the process never holds the whole audience, only SEND_PAGE rows and
          // their columns (a 50,000-patient blast held ~100 MB more at once).
          await tx.$executeRaw`
            DECLARE blast_pending NO SCROLL CURSOR FOR
            SELECT r."messageId", p."id", p."firstName", p."lastName", p."preferredName", p."dob", p."phone", p."email", p."timeZone"
              FROM "BlastRecipient" r JOIN "Patient" p ON p."id" = r."patientId"
             WHERE r."blastId" = ${blast.id} AND r."status" = 'pending'
             ORDER BY p."lastName" ASC NULLS LAST, p."firstName" ASC NULLS LAST, p."id" ASC`;
          const target = { orgId: actor.orgId, teamId: team.id, number, channel, imageIds, senderId: actor.userId };
          const key = `blast:${blast.id}`;
          let queued = 0;
          for (;;) {
            const page = await tx.$queryRaw<PendingRow[]>`FETCH ${Prisma.raw(String(Math.max(1, Math.floor(BlastsService.pageSize))))} FROM blast_pending`;
            if (!page.length) break;
            const m = this.messagesFor(page, template, org, now, { start, perDay: input.perDay ?? null }, queued);
            // Every message carries the blast as its idempotency key, so the Message sendKey unique
            // index also allows one message per conversation and blast.
            const written = await this.writeMessages(tx, target, now, m, page.map(() => key));
            for (const c of written) changed.push(c);
            queued += page.length;
            if (page.length < BlastsService.pageSize) break;
          }
          await tx.$executeRaw`CLOSE blast_pending`;
          await this.audit.record(
            actor,
            {
              action: 'blast.sent',
              summary: `${start ? 'Scheduled' : 'Sent'} the ${input.marketing ? 'marketing' : 'transactional'} ${channel.toUpperCase()} blast "${name}"${imageIds.length ? ` with ${imageIds.length} image(s)` : ''} from ${team.name}${selection ? ` to ${selection.length} selected patient(s)` : ''}: ${queued} queued${start ? ` for ${input.scheduledAt} (${org.timeZone})` : ''}${input.perDay ? `, ${input.perDay} a day` : ''}`,
              targetType: 'blast',
              targetId: blast.id,
              data: {
                cohortIds: blast.cohortIds,
                ...(imageIds.length ? { imageIds } : {}),
                ...(selection ? { selectedPatients: selection.length, notFound } : {}),
                queued,
                phoneNumberId: number.id,
                ...(start ? { scheduledAt: start.toISOString() } : {}),
                ...(input.perDay ? { perDay: input.perDay } : {}),
                ...(phiOverride ? { phiOverride } : {}),
              },
            },
            tx,
          );
          return blast;
        },
        { timeout: 300_000, maxWait: 30_000 },
      );
      this.messageEvents.conversationsChanged(actor.orgId, changed);
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

  /**
   * The rendered text, segments and send time per pending recipient, as columns. A message goes
   * at the blast's start (now, or the scheduled time); with `perDay`, the i-th recipient (in name
   * order; `offset`: the rows before this page) on day floor(i / perDay) after the start, at the same local time in the org's zone.
   * Quiet hours then defer it to the patient's next allowed time, never drop it.
   */
  private messagesFor(rows: PendingRow[], template: string, org: Org, now: Date, plan: { start: Date | null; perDay: number | null } = { start: null, perDay: null }, offset = 0) {
    const out = { ids: [] as string[], patientIds: [] as string[], bodies: [] as string[], phones: [] as string[], segments: [] as string[], encodings: [] as string[], sendAfter: [] as string[] };
    const first = plan.start ?? now;
    const local = localParts(first, org.timeZone);
    const dayStart = (day: number) => (day === 0 ? first : zonedTime(local.year, local.month, local.day + day, local.hour, local.minute, org.timeZone));
    const deferral = new Map<string, string>();
    const afterFor = (timeZone: string, day: number) => {
      const key = `${day} ${timeZone}`;
      let after = deferral.get(key);
      if (after === undefined) {
        const at = dayStart(day);
        const quiet = { start: org.quietHoursStart, end: org.quietHoursEnd, timeZone };
        // Blasts are automated: quiet hours defer them to the patient's next allowed time, never drop them.
        const due = org.quietHoursEnabled && isQuietTime(at, quiet) ? nextSendTime(at, quiet) : at;
        after = due.getTime() > now.getTime() ? due.toISOString() : '';
        deferral.set(key, after);
      }
      return after;
    };
    for (const [i, p] of rows.entries()) {
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
      out.sendAfter.push(afterFor(p.timeZone ?? org.timeZone, plan.perDay ? Math.floor((offset + i) / plan.perDay) : 0));
    }
    return out;
  }

  /**
   * The team's number, the org's plan and policy, and the audience statement (blast-audience.ts):
   * this org's cohorts (another org's: NOT_FOUND), or the selected patients that are this org's
   * (`selection`, each once; the other ids, another org's or unknown alike, are `notFound` and
   * never sent to, so the count tells a caller nothing about other orgs).
   */
  private async prepare(actor: Actor, org: Org, team: Team, input: AudienceInput) {
    const hasCohorts = (input.cohortIds?.length ?? 0) > 0;
    const hasPatients = input.patientIds !== undefined;
    if (hasCohorts === hasPatients) {
      throw new TRPCError({ code: 'BAD_REQUEST', message: 'Send a blast either to cohorts or to selected patients: pick one or more cohorts, or select patients, not both.' });
    }
    const orgBlocker = this.eligibility.orgBlocker(org);
    if (orgBlocker) throw refuse(orgBlocker.reason, orgBlocker.message);
    const number = await this.eligibility.teamNumber(actor.orgId, team.id);
    if (!number) throw refuse('no_number', `The team ${team.name} has no phone number. An admin can assign one under Directory → Phone numbers.`);
    const to = { orgId: actor.orgId, phoneNumberId: number.id, marketing: input.marketing };
    if (hasPatients) {
      const { found, notFound } = await this.selected(actor, input.patientIds!);
      return { audience: patientsAudience(to, found), number, cohorts: [] as { id: string; name: string }[], selection: found, notFound };
    }
    const ids = [...new Set(input.cohortIds)];
    const rows = await this.db.prisma.cohort.findMany({ where: { orgId: actor.orgId, id: { in: ids } }, orderBy: { name: 'asc' } });
    if (rows.length !== ids.length) throw new TRPCError({ code: 'NOT_FOUND', message: 'Cohort not found.' });
    const filters = rows.map((row) => {
      const parsed = cohortFilterSchema.safeParse(row.filter);
      // A stored filter that no longer parses must never widen to "every patient".
      if (!parsed.success) throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: `Cohort ${row.id} has a filter this version cannot read.` });
      return parsed.data;
    });
    const audience: Audience = { ...to, filters, at: { timeZone: org.timeZone, now: this.clock.now() } };
    return { audience: blastAudience(audience), number, cohorts: rows, selection: null, notFound: 0 };
  }

  /** The ids that are this org's patients (each once, in the order given) and how many are not. */
  private async selected(actor: Actor, patientIds: string[]) {
    const ids = [...new Set(patientIds)];
    const rows = await this.db.prisma.patient.findMany({ where: { orgId: actor.orgId, id: { in: ids } }, select: { id: true } });
    const known = new Set(rows.map((r) => r.id));
    const found = ids.filter((id) => known.has(id));
    return { found, notFound: ids.length - found.length };
  }

  /**
   * The wizard's "N selected patients": how many of the ids are this org's patients, and the
   * names of the first SELECTION_NAMES_SHOWN by name. Audited: it shows patients.
   */
  async selection(actor: Actor, patientIds: string[]) {
    const { found, notFound } = await this.selected(actor, patientIds);
    const patients = await this.db.prisma.patient.findMany({
      where: { orgId: actor.orgId, id: { in: found } },
      select: { id: true, firstName: true, lastName: true, preferredName: true, phone: true },
      orderBy: [{ lastName: { sort: 'asc', nulls: 'last' } }, { firstName: { sort: 'asc', nulls: 'last' } }, { id: 'asc' }],
      take: SELECTION_NAMES_SHOWN,
    });
    await this.audit.record(actor, {
      action: 'blast.selection_viewed',
      summary: `Viewed ${found.length} selected patient(s) for a blast`,
      data: { found: found.length, notFound, shown: patients.length },
    });
    return { found: found.length, notFound, patients };
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
    return { ...view(blast), patientIds: blast.patientIds, stats: await this.stats(blast.id) };
  }

  /** The recipient table (optionally one stat card's recipients) with the stats; audited: it shows patients. */
  async recipients(actor: Actor, input: { blastId: string; status?: RecipientFilter; limit: number; offset: number }) {
    const blast = await this.find(actor, input.blastId);
    const rows = await this.db.prisma.$queryRaw<RecipientRow[]>`
      SELECT * FROM (
        SELECT r."id", r."patientId", p."firstName", p."lastName", p."phone", r."skipReason", r."messageId",
               m."status" AS "messageStatus", m."errorCode", m."errorMessage", m."sentAt", m."deliveredAt", m."failedAt",
               CASE WHEN r."status" = 'skipped' THEN 'skipped' WHEN r."status" = 'canceled' THEN 'canceled' WHEN m."status" IN ${SENT} THEN 'sent' WHEN m."status" IN ${FAILED} THEN 'failed' ELSE 'queued' END AS "status",
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
             count(*) FILTER (WHERE m."status" IN ${FAILED} AND r."status" <> 'canceled')::int AS "failed",
             count(*) FILTER (WHERE m."status" IN ${IN_FLIGHT})::int AS "queued",
             count(*) FILTER (WHERE r."status" = 'canceled')::int AS "canceled",
             count(*) FILTER (WHERE m."status" = 'sent')::int AS "awaitingReport"
        FROM "BlastRecipient" r LEFT JOIN "Message" m ON m."id" = r."messageId"
       WHERE r."blastId" = ${blastId}`;
    return row!;
  }

  /** Scheduled blasts whose time has come are sending; blasts whose every message has left the queue are completed. */
  private async settle(orgId: string) {
    await this.db.prisma.$executeRaw`
      UPDATE "Blast" SET "status" = 'sending', "sentAt" = "scheduledAt"
       WHERE "orgId" = ${orgId} AND "status" = 'scheduled' AND "scheduledAt" <= ${this.clock.now()}`;
    await this.db.prisma.$executeRaw`
      UPDATE "Blast" b SET "status" = 'completed', "completedAt" = ${this.clock.now()}
       WHERE b."orgId" = ${orgId} AND b."status" = 'sending'
         AND NOT EXISTS (SELECT 1 FROM "BlastRecipient" r JOIN "Message" m ON m."id" = r."messageId" WHERE r."blastId" = b."id" AND m."status" IN ${IN_FLIGHT})`;
  }

  /**
   * Cancels what has not gone yet: a scheduled blast before it starts, or the remainder of one
   * that is sending (messages still queued: later days of a spread blast, quiet-hours deferrals).
   * A message the worker has already claimed is past stopping and goes; its recipient counts as
   * sent or failed as usual. Refused once the blast completed or was canceled. For members of
   * the blast's team (the team that owns the sending number).
   */
  async cancel(actor: Actor, blastId: string) {
    await this.find(actor, blastId);
    await this.settle(actor.orgId);
    const now = this.clock.now();
    const { blast, canceledIds, changed, inFlight } = await this.db.prisma.$transaction(async (tx) => {
      // The row lock orders a cancel against a concurrent cancel (the second sees the first's status).
      const [locked] = await tx.$queryRaw<Blast[]>`SELECT * FROM "Blast" WHERE "id" = ${blastId} FOR UPDATE`;
      if (locked!.status === 'completed') throw new TRPCError({ code: 'CONFLICT', message: 'This blast has already been sent to everyone; there is nothing left to cancel.' });
      if (locked!.status === 'canceled') throw new TRPCError({ code: 'CONFLICT', message: 'This blast was already canceled.' });
      // Only queued messages: the worker claims under a row lock (queued -> sending), so a message
      // is either claimed (and goes) or canceled here, never both.
      const canceled = await tx.$queryRaw<{ id: string; conversationId: string; teamId: string }[]>`
        UPDATE "Message" m SET "status" = 'canceled', "statusRank" = ${STATUS_RANK.canceled}, "errorMessage" = ${CANCELED_WITH_BLAST}
          FROM "BlastRecipient" r, "Conversation" c
         WHERE r."blastId" = ${blastId} AND m."id" = r."messageId" AND m."status" = 'queued' AND c."id" = m."conversationId"
        RETURNING m."id", m."conversationId", c."teamId"`;
      const ids = canceled.map((c) => c.id);
      if (ids.length) await tx.$executeRaw`UPDATE "BlastRecipient" SET "status" = 'canceled' WHERE "blastId" = ${blastId} AND "messageId" = ANY(${ids}::text[])`;
      const [flight] = await tx.$queryRaw<{ n: number }[]>`
        SELECT count(*)::int AS n FROM "BlastRecipient" r JOIN "Message" m ON m."id" = r."messageId" WHERE r."blastId" = ${blastId} AND m."status" IN ${IN_FLIGHT}`;
      const blast = await tx.blast.update({ where: { id: blastId }, data: { status: 'canceled', canceledAt: now } });
      await this.audit.record(
        actor,
        {
          action: 'blast.canceled',
          summary: `Canceled the blast "${blast.name}"${locked!.status === 'scheduled' ? ' before it started' : ''}: ${ids.length} message(s) not sent`,
          targetType: 'blast',
          targetId: blast.id,
          data: { wasStatus: locked!.status, canceled: ids.length, inFlight: flight!.n },
        },
        tx,
      );
      return { blast, canceledIds: ids, changed: canceled.map((c) => ({ id: c.conversationId, teamId: c.teamId })), inFlight: flight!.n };
    });
    // As for the enqueue: the conversations by id in chunks, not one event per message (a
    // 50,000-recipient blast canceled is 500 events); open screens re-read what they show of them.
    this.messageEvents.conversationsChanged(actor.orgId, changed);
    return { blast: view(blast), canceled: canceledIds.length, inFlight };
  }

  /**
   * Send Test to Me: the message rendered for a sample patient of the audience (the one asked
   * for, else the first who would get it, else the first at all) as an SMS from the team's
   * number to the caller's own phone (account.setPhone). Not a recipient, not a Message of any
   * conversation, not in the stats: one direct carrier call, now (quiet hours are the patient's,
   * not the sender's). At most TEST_LIMIT per person in TEST_WINDOW_MS, counted from the audit
   * log under a lock on the user's row, so concurrent clicks and other instances count too.
   */
  async sendTest(actor: Actor, org: Org, team: Team, input: BlastTestInput) {
    const { audience, number, selection } = await this.prepare(actor, org, team, input);
    if (selection?.length === 0) throw noneFound();
    const imageIds = await this.images.requireUsable(actor, input.imageIds);
    const me = await this.db.prisma.user.findUniqueOrThrow({ where: { id: actor.userId }, select: { phone: true } });
    if (!me.phone) throw new TRPCError({ code: 'PRECONDITION_FAILED', message: 'Add your mobile number to your account first (Settings → Account), then send yourself a test.' });
    const [sample] = await this.db.prisma.$queryRaw<{ patientId: string }[]>`
      SELECT a."patientId" FROM (${audience}) a JOIN "Patient" p ON p."id" = a."patientId"
       WHERE ${input.patientId ? Prisma.sql`a."patientId" = ${input.patientId}` : Prisma.sql`true`}
       ORDER BY (a."skipReason" IS NULL) DESC, p."lastName" ASC NULLS LAST, p."firstName" ASC NULLS LAST, p."id" ASC LIMIT 1`;
    if (input.patientId && !sample) throw new TRPCError({ code: 'NOT_FOUND', message: 'That patient is not in this blast\'s audience.' });
    const p = sample ? await this.db.prisma.patient.findUniqueOrThrow({ where: { id: sample.patientId } }) : null;
    const body = renderTemplate(input.body.trim(), {
      patient: p
        ? { id: p.id, firstName: p.firstName ?? undefined, lastName: p.lastName ?? undefined, preferredName: p.preferredName ?? undefined, dob: p.dob ?? undefined, phone: p.phone ?? undefined, email: p.email ?? undefined }
        : { id: '' },
      org: { name: org.name },
    }).trim();
    if (!body) throw refuse('empty', 'Write a message first.');
    if (body.length > MAX_BODY) throw new TRPCError({ code: 'BAD_REQUEST', message: `The message is ${body.length} characters once its tokens are filled in; the limit is ${MAX_BODY}. Shorten it.` });
    const phi = detectPhi(input.body);
    if (phi.length && !input.confirmPhi) throw refuse('phi', describePhi(phi), { findings: phi });
    const now = this.clock.now();
    await this.db.prisma.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT "id" FROM "User" WHERE "id" = ${actor.userId} FOR UPDATE`;
      const recent = await tx.auditEvent.count({ where: { actorId: actor.userId, action: 'blast.test_sent', createdAt: { gt: new Date(now.getTime() - TEST_WINDOW_MS) } } });
      if (recent >= TEST_LIMIT) {
        throw new TRPCError({ code: 'TOO_MANY_REQUESTS', message: `You have sent yourself ${TEST_LIMIT} tests in the last ${TEST_WINDOW_MS / 60_000} minutes. Wait a few minutes and try again.` });
      }
      await this.audit.record(
        actor,
        {
          action: 'blast.test_sent',
          summary: `Sent a blast test to their own phone from ${team.name}${p ? ', rendered for a sample patient' : ''}`,
          targetType: 'patient',
          targetId: p?.id,
          data: { phoneNumberId: number.id, cohortIds: input.cohortIds ?? [], ...(input.patientIds ? { selectedPatients: input.patientIds.length } : {}), samplePatientId: p?.id ?? null, ...(imageIds.length ? { imageIds } : {}), toLast4: me.phone!.slice(-4) },
        },
        tx,
      );
    });
    try {
      const mediaUrls = imageIds.length ? await this.images.carrierUrls(imageIds) : undefined;
      const sent = await this.carrier.sendMessage({ from: number.e164, to: me.phone, body, mediaUrls, statusCallback: this.config.publicUrl + WEBHOOK_PATHS.status });
      return { sent: true, to: me.phone, body, samplePatient: p ? { id: p.id, firstName: p.firstName, lastName: p.lastName } : null, carrierSid: sent.sid };
    } catch (error) {
      if (error instanceof CarrierError && error.status !== null && error.status < 500) {
        throw new TRPCError({ code: 'BAD_REQUEST', message: carrierErrorMessage(error.code, error.message) ?? error.message });
      }
      throw new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: 'The carrier could not be reached. Try again in a minute.' });
    }
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
    const outcome = await this.db.prisma.$transaction(
      async (tx) => {
        await lockStarted(tx, blast.id, 'retry its failed messages');
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
        let changed: ChangedConversation[] = [];
        if (claimed.length) {
          changed = await this.enqueue(tx, blast, number, org, now, claimed, (row) => `blast:${blast.id}:retry:${row.retries}`);
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
        return { result: { retried: claimed.length, notRetried: left!.count }, changed };
      },
      { timeout: 300_000, maxWait: 30_000 },
    );
    this.messageEvents.conversationsChanged(blast.orgId, outcome.changed);
    if (outcome.result.retried) this.worker.wake();
    return outcome.result;
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
    const done = await this.db.prisma.$transaction(
      async (tx) => {
        await lockStarted(tx, blast.id, 'add recipients');
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
        let changed: ChangedConversation[] = [];
        if (pending.length) {
          changed = await this.enqueue(tx, blast, number, org, now, pending, () => `blast:${blast.id}`);
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
        return { out, changed };
      },
      { timeout: 300_000, maxWait: 30_000 },
    );
    this.messageEvents.conversationsChanged(blast.orgId, done.changed);
    if (done.out.queued) this.worker.wake();
    return done.out;
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
   * the name of the blast's creator, each with `key(row)` as its idempotency key. Returns the
   * conversations written to (for conversationsChanged after the commit).
   */
  private async enqueue<R extends PendingRow>(tx: Prisma.TransactionClient, blast: Blast, number: { id: string; e164: string }, org: Org, now: Date, rows: R[], key: (row: R) => string): Promise<ChangedConversation[]> {
    const target = { orgId: blast.orgId, teamId: blast.teamId, number, channel: blast.imageIds.length ? 'mms' : 'sms', imageIds: blast.imageIds, senderId: blast.createdById };
    const changed: ChangedConversation[] = [];
    for (let i = 0; i < rows.length; i += BlastsService.pageSize) {
      const page = rows.slice(i, i + BlastsService.pageSize);
      for (const c of await this.writeMessages(tx, target, now, this.messagesFor(page, blast.body, org, now), page.map(key))) changed.push(c);
    }
    return changed;
  }

  /**
   * One page of rendered messages (messagesFor) into the patients' conversations with the number
   * (created when missing, their last message set to this one: no second pass over them) and
   * the Message table, one unnest per column, with the ids the ledger already holds.
   */
  private async writeMessages(
    tx: Prisma.TransactionClient,
    to: { orgId: string; teamId: string; number: { id: string; e164: string }; channel: string; imageIds: string[]; senderId: string | null },
    now: Date,
    m: ReturnType<BlastsService['messagesFor']>,
    keys: string[],
  ): Promise<ChangedConversation[]> {
    // One statement: the page's columns sent once, the conversations upserted, and the messages
    // joined to the conversations the upsert returned (no second lookup of them).
    const conversations = await tx.$queryRaw<ChangedConversation[]>`
      WITH u AS (
        SELECT * FROM unnest(${m.ids}::text[], ${m.patientIds}::text[], ${m.bodies}::text[], ${m.phones}::text[], ${m.segments}::text[], ${m.encodings}::text[], ${m.sendAfter}::text[], ${keys}::text[])
                   AS u(id, pid, body, phone, segments, encoding, after, key)
      ), c AS (
        INSERT INTO "Conversation" ("id", "orgId", "teamId", "kind", "phoneNumberId", "patientId", "lastMessageAt", "lastMessagePreview", "createdAt")
        SELECT gen_random_uuid()::text, ${to.orgId}, ${to.teamId}, 'sms', ${to.number.id}, u.pid, ${now}, left(u.body, 140), ${now} FROM u
        ON CONFLICT ("phoneNumberId", "patientId", "kind") DO UPDATE SET "lastMessageAt" = EXCLUDED."lastMessageAt", "lastMessagePreview" = EXCLUDED."lastMessagePreview"
        RETURNING "id", "teamId", "patientId"
      ), messages AS (
        INSERT INTO "Message" ("id", "orgId", "conversationId", "direction", "channel", "body", "mediaUrls", "status", "statusRank", "fromNumber", "toNumber",
                               "senderId", "idempotencyKey", "segments", "encoding", "sendAfter", "automated", "createdAt")
        SELECT u.id, ${to.orgId}, c."id", 'outbound', ${to.channel}, u.body, ${mediaRefs(to.imageIds)}::text[], 'queued', ${STATUS_RANK.queued}, ${to.number.e164}, u.phone,
               ${to.senderId}, u.key, u.segments::int, u.encoding, NULLIF(u.after, '')::timestamptz, true, ${now}
          FROM u JOIN c ON c."patientId" = u.pid
      )
      SELECT "id", "teamId" FROM c`;
    return conversations;
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

/**
 * "2026-05-04T09:30" in the org's time zone as an instant; refused unless it is a real date and
 * time, after now and within MAX_SCHEDULE_DAYS.
 */
export function scheduledInstant(local: string, timeZone: string, now: Date): Date {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(local);
  const [year, month, day, hour, minute] = match ? match.slice(1).map(Number) : [];
  if (!match || !calendarDate({ year: year!, month: month!, day: day! }) || hour! > 23 || minute! > 59) {
    throw new TRPCError({ code: 'BAD_REQUEST', message: 'Pick a date and a time for the blast (for example 2026-05-04 at 09:30).' });
  }
  const at = zonedTime(year!, month!, day!, hour!, minute!, timeZone);
  if (at.getTime() <= now.getTime()) throw new TRPCError({ code: 'BAD_REQUEST', message: `That time has passed in ${timeZone}. Pick a later time, or send now.` });
  if (at.getTime() > now.getTime() + MAX_SCHEDULE_DAYS * 86_400_000) throw new TRPCError({ code: 'BAD_REQUEST', message: `A blast can be scheduled at most ${MAX_SCHEDULE_DAYS} days ahead.` });
  return at;
}

/** A send to selected patients none of whom is a patient of the org (the preview counts them as not found). */
const noneFound = () => new TRPCError({ code: 'NOT_FOUND', message: 'None of the selected patients were found in your organization.' });

/** The auto-name of a blast to selected patients: "Bulk text, Dec 1, 2026". */
const SELECTION_NAME = 'Bulk text';

/** "Diabetics + 1 more, Apr 22" in the org's time zone. */
function autoName(cohortNames: string[], now: Date, timeZone: string): string {
  const d = localParts(now, timeZone);
  const who = cohortNames.length > 1 ? `${cohortNames[0]} + ${cohortNames.length - 1} more` : (cohortNames[0] ?? 'Blast');
  return `${who}, ${MONTHS[d.month - 1]} ${d.day}, ${d.year}`.slice(0, 200);
}

function view(b: Blast) {
  return {
    id: b.id, teamId: b.teamId, phoneNumberId: b.phoneNumberId, name: b.name, body: b.body, cohortIds: b.cohortIds, imageIds: b.imageIds, selectedCount: b.patientIds.length, marketing: b.marketing, status: b.status, createdById: b.createdById,
    createdAt: b.createdAt, sentAt: b.sentAt, completedAt: b.completedAt, scheduledAt: b.scheduledAt, perDay: b.perDay, canceledAt: b.canceledAt,
  };
}

/** A conversation a blast wrote into, with its team (whose members are told). */
type ChangedConversation = { id: string; teamId: string };
type PendingRow = { messageId: string; id: string; firstName: string | null; lastName: string | null; preferredName: string | null; dob: string | null; phone: string; email: string | null; timeZone: string | null };
/**
 * Locks the blast row (ordered against a concurrent cancel) and refuses a blast that has not
 * started (its messages wait for the scheduled time; new ones would go at once) or was canceled
 * (retrying or adding would quietly restart it).
 */
async function lockStarted(tx: Prisma.TransactionClient, blastId: string, what: string): Promise<void> {
  const [row] = await tx.$queryRaw<{ status: string }[]>`SELECT "status" FROM "Blast" WHERE "id" = ${blastId} FOR UPDATE`;
  if (row?.status === 'scheduled') throw new TRPCError({ code: 'CONFLICT', message: `This blast has not started yet; ${what} once it has, or cancel it and send a duplicate.` });
  if (row?.status === 'canceled') throw new TRPCError({ code: 'CONFLICT', message: `This blast was canceled; to ${what}, send a duplicate instead.` });
}

type Stats = {
  total: number;
  sent: number;
  skipped: number;
  optedOut: number;
  blocked: number;
  replied: number;
  failed: number;
  queued: number;
  canceled: number;
  /** Accepted by the carrier, its delivery report (delivered, or undelivered: then it moves to Failed) not in yet. */
  awaitingReport: number;
};
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
  status: 'skipped' | 'sent' | 'failed' | 'queued' | 'canceled';
  repliedAt: Date | null;
};
