import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { analyzeHeader, checkPatientRow } from '@caretext/shared';
import { TRPCError } from '@trpc/server';
import type { Actor } from '../access/access.service.js';
import { AuditService } from '../audit/audit.service.js';
import { CLOCK, type Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import type { CsvBroadcast, Org } from '../generated/prisma/client.js';
import { DATABASE } from '../injection-tokens.js';
import { capHeader } from '../imports/import-runner.js';
import { readCsvRows } from '../imports/csv-rows.js';
import { ImportMatcher, type ValidRow } from '../imports/matcher.js';
import { ImportsService, UploadError } from '../imports/imports.service.js';
import { refuse } from '../messages/send-blocked.js';
import { SmsEligibility } from '../messages/sms-eligibility.js';
import { BlastsService, MAX_ADDED_RECIPIENTS, MAX_SELECTED_PATIENTS } from './blasts.service.js';

/** A broadcast file goes through tRPC (base64): this keeps it under the tRPC body limit. */
export const MAX_BROADCAST_FILE_BYTES = 700 * 1024;
/** A send that claimed a broadcast and has not finished after this long died: another may take over. */
export const SEND_CLAIM_STALE_MS = 10 * 60_000;
/** The blast's idempotency key: one blast per broadcast, whoever sends it. */
const blastKey = (broadcastId: string) => `csv-broadcast:${broadcastId}`;
/** Names shown of the patients who already got a file. */
const NAMES_SHOWN = 50;
/** Rows with errors listed in the preview (the import's page has them all). */
const ERRORS_SHOWN = 50;

type Team = { id: string; name: string };

/**
 * CSV broadcast from a number's inbox (the seed's "Broadcast messaging"): the file's rows become
 * directory patients through the patient import (dry run, then apply), then a blast from the
 * team's number goes to them (BlastsService). A file is keyed by its SHA-256 and the number
 * (unique CsvBroadcast row), so uploading it again, while it is still ingesting or long after,
 * lands on the same broadcast and never sends twice. A changed file that shares patients with an
 * earlier broadcast from the number adds only its new patients to that broadcast's blast (Add
 * Recipients: the BlastRecipient key is unique per blast and patient).
 */
@Injectable()
export class CsvBroadcastService {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly audit: AuditService,
    private readonly imports: ImportsService,
    private readonly blasts: BlastsService,
    private readonly eligibility: SmsEligibility,
  ) {}

  /** Stores the file as a broadcast of the team's number (or finds the one it already is) and starts its import. */
  async upload(actor: Actor, org: Org, team: Team, input: { fileName: string; content: string }) {
    const bytes = Buffer.from(input.content, 'base64');
    if (bytes.length === 0) throw new TRPCError({ code: 'BAD_REQUEST', message: 'The file is empty.' });
    if (bytes.length > MAX_BROADCAST_FILE_BYTES) {
      throw new TRPCError({ code: 'PAYLOAD_TOO_LARGE', message: `The file is larger than ${MAX_BROADCAST_FILE_BYTES / 1024} KB. A broadcast goes to at most ${MAX_SELECTED_PATIENTS.toLocaleString('en-US')} patients: split the file.` });
    }
    const number = await this.number(actor, org, team);
    const fileHash = createHash('sha256').update(bytes).digest('hex');
    const fileName = input.fileName.slice(0, 200) || 'broadcast.csv';
    // The unique (number, file hash) key decides, not a check first: two uploads at once of the
    // same file make one row, and the second caller gets that one.
    // A broadcast whose import failed sent nothing: the same file may be tried again.
    await this.db.sql.query(`DELETE FROM "CsvBroadcast" WHERE "phoneNumberId" = $1 AND "fileHash" = $2 AND status = 'failed'`, [number.id, fileHash]);
    const [created] = await this.db.sql.query<{ id: string }>(
      `INSERT INTO "CsvBroadcast" (id, "orgId", "teamId", "phoneNumberId", "fileHash", "fileName", status, "createdById", "createdAt")
       VALUES (gen_random_uuid()::text, $1, $2, $3, $4, $5, 'ingesting', $6, $7)
       ON CONFLICT ("phoneNumberId", "fileHash") DO NOTHING RETURNING id`,
      [actor.orgId, team.id, number.id, fileHash, fileName, actor.userId, this.clock.now()],
    );
    if (!created) {
      const existing = await this.db.prisma.csvBroadcast.findUniqueOrThrow({ where: { phoneNumberId_fileHash: { phoneNumberId: number.id, fileHash } } });
      await this.audit.record(actor, { action: 'broadcast.reuploaded', summary: `Uploaded ${fileName} again for a broadcast from ${number.e164}: no second broadcast`, targetType: 'csvBroadcast', targetId: existing.id });
      return { duplicate: true, broadcastId: existing.id };
    }
    try {
      const { jobId } = await this.imports.upload(actor, fileName, Readable.from([bytes]), bytes.length);
      await this.db.prisma.csvBroadcast.update({ where: { id: created.id }, data: { importJobId: jobId } });
    } catch (error) {
      await this.db.prisma.csvBroadcast.delete({ where: { id: created.id } });
      if (error instanceof UploadError) throw new TRPCError({ code: error.status === 409 ? 'CONFLICT' : 'BAD_REQUEST', message: error.message });
      throw error;
    }
    await this.audit.record(actor, { action: 'broadcast.uploaded', summary: `Uploaded ${fileName} (${bytes.length} bytes) for a broadcast from ${number.e164}`, targetType: 'csvBroadcast', targetId: created.id });
    return { duplicate: false, broadcastId: created.id };
  }

  /**
   * Where the broadcast stands, moving it on: a dry run that is ready is applied (its rows become
   * patients as any import's do); an applied import gives the broadcast its patients. Ready: the
   * preview (will send / skipped per reason, rows with errors by line, who already got an earlier
   * file). Sent: when, and who got it. Audited: it shows patients.
   */
  async get(actor: Actor, org: Org, team: Team, broadcastId: string) {
    let b = await this.find(actor, team, broadcastId);
    if (b.status === 'ingesting') b = await this.advance(actor, org, b);
    const job = b.importJobId ? await this.imports.get(actor, b.importJobId).catch(() => null) : null;
    const rowErrors = b.importJobId && job?.status !== 'invalid' ? await this.imports.issues(actor, b.importJobId, { severity: 'error', page: 1, pageSize: ERRORS_SHOWN }) : { total: 0, issues: [] };
    const base = {
      id: b.id,
      fileName: b.fileName,
      status: b.status,
      error: b.error,
      createdAt: b.createdAt,
      sentAt: b.sentAt,
      blastId: b.blastId,
      importJobId: b.importJobId,
      ingest: job ? { status: job.status, processedRows: job.processedRows, totalRows: job.totalRows, headerErrors: job.report?.header.errors ?? [] } : null,
      rowErrors,
      patients: b.patientIds.length,
    };
    if ((b.status === 'sending' || b.status === 'sent') && b.blastId) {
      const got = await this.gotIt(actor, b.blastId!, b.patientIds);
      await this.audit.record(actor, { action: 'broadcast.viewed', summary: `Viewed the broadcast of ${b.fileName}: ${got.count} patient(s) got it`, targetType: 'csvBroadcast', targetId: b.id });
      return { ...base, preview: null, follows: null, gotIt: got };
    }
    if (b.status !== 'ready') return { ...base, preview: null, follows: null, gotIt: null };
    const follows = await this.follows(actor, b);
    const audience = follows ? b.patientIds.filter((id) => !follows.already.has(id)) : b.patientIds;
    const preview = audience.length ? await this.blasts.preview(actor, org, team, { patientIds: audience, marketing: false }) : null;
    await this.audit.record(actor, { action: 'broadcast.previewed', summary: `Previewed the broadcast of ${b.fileName}: ${audience.length} patient(s)`, targetType: 'csvBroadcast', targetId: b.id });
    return {
      ...base,
      preview,
      follows: follows ? { fileName: follows.broadcast.fileName, sentAt: follows.broadcast.sentAt, body: follows.body, newPatients: audience.length, already: await this.gotIt(actor, follows.broadcast.blastId!, [...follows.already].filter((id) => b.patientIds.includes(id))) } : null,
      gotIt: null,
    };
  }

  /**
   * Sends the broadcast once: the row moves ready -> sending in one statement, so a double click
   * or a second person sends nothing more (they get `duplicate: true`). A send that died midway
   * (claimed long ago, no blast recorded) is taken over: its blast, if it committed, is found by
   * its key and not sent again; Add Recipients skips patients already added. A file that follows an
   * earlier broadcast adds its new patients to that blast (its message); others send `body`.
   */
  async send(actor: Actor, org: Org, team: Team, input: { broadcastId: string; body: string; confirmPhi?: boolean }) {
    const b = await this.find(actor, team, input.broadcastId);
    const now = this.clock.now();
    const stale = new Date(now.getTime() - SEND_CLAIM_STALE_MS);
    const claimed = await this.db.prisma.csvBroadcast.updateMany({
      where: { id: b.id, OR: [{ status: 'ready' }, { status: 'sending', blastId: null, claimedAt: { lt: stale } }] },
      data: { status: 'sending', claimedAt: now },
    });
    if (claimed.count === 0) {
      const now = await this.db.prisma.csvBroadcast.findUniqueOrThrow({ where: { id: b.id } });
      if (now.status === 'sending' || now.status === 'sent') return { duplicate: true, blastId: now.blastId };
      throw new TRPCError({ code: 'BAD_REQUEST', message: now.status === 'ingesting' ? 'The file is still being imported. Wait for the preview, then send.' : 'This broadcast cannot be sent.' });
    }
    try {
      const follows = await this.follows(actor, b);
      let blastId: string;
      if (follows) {
        blastId = follows.broadcast.blastId!;
        const fresh = b.patientIds.filter((id) => !follows.already.has(id));
        for (let i = 0; i < fresh.length; i += MAX_ADDED_RECIPIENTS) {
          await this.blasts.addRecipients(actor, org, { blastId, patientIds: fresh.slice(i, i + MAX_ADDED_RECIPIENTS) });
        }
      } else {
        if (!b.patientIds.length) throw new TRPCError({ code: 'BAD_REQUEST', message: 'No patient of this file can be sent to.' });
        // A send that died after its blast committed (whoever sent it): that blast is the one.
        const earlier = await this.db.prisma.blast.findFirst({ where: { orgId: actor.orgId, idempotencyKey: blastKey(b.id) }, select: { id: true } });
        const { blast } = earlier ? { blast: earlier } : await this.blasts.send(actor, org, team, {
          patientIds: b.patientIds,
          marketing: false,
          name: `CSV: ${b.fileName}`.slice(0, 200),
          body: input.body,
          confirmPhi: input.confirmPhi,
          idempotencyKey: blastKey(b.id),
        });
        blastId = blast.id;
      }
      await this.db.prisma.csvBroadcast.update({ where: { id: b.id }, data: { status: 'sent', blastId, sentAt: this.clock.now() } });
      await this.audit.record(actor, { action: 'broadcast.sent', summary: `Sent the broadcast of ${b.fileName} (${b.patientIds.length} patient(s) in the file)`, targetType: 'csvBroadcast', targetId: b.id, data: { blastId, follows: follows?.broadcast.id ?? null } });
      return { duplicate: false, blastId };
    } catch (error) {
      // Nothing was sent (the blast's own transaction rolled back): the broadcast can be sent again.
      await this.db.prisma.csvBroadcast.updateMany({ where: { id: b.id, status: 'sending', blastId: null, claimedAt: now }, data: { status: 'ready', claimedAt: null } });
      throw error;
    }
  }

  private async number(actor: Actor, org: Org, team: Team) {
    const orgBlocker = this.eligibility.orgBlocker(org);
    if (orgBlocker) throw refuse(orgBlocker.reason, orgBlocker.message);
    const number = await this.eligibility.teamNumber(actor.orgId, team.id);
    if (!number) throw refuse('no_number', `The team ${team.name} has no phone number. An admin can assign one under Directory → Phone numbers.`);
    return number;
  }

  /** This org's broadcast, of the team in scope (the caller is a member: teamProcedure). */
  private async find(actor: Actor, team: Team, broadcastId: string): Promise<CsvBroadcast> {
    const b = await this.db.prisma.csvBroadcast.findFirst({ where: { id: broadcastId, orgId: actor.orgId, teamId: team.id } });
    if (!b) throw new TRPCError({ code: 'NOT_FOUND', message: 'Broadcast not found.' });
    return b;
  }

  private async advance(actor: Actor, org: Org, b: CsvBroadcast): Promise<CsvBroadcast> {
    if (!b.importJobId) return b;
    const job = await this.imports.get(actor, b.importJobId);
    if (job.status === 'ready') await this.imports.confirm(actor, b.importJobId);
    else if (['invalid', 'failed', 'cancelled'].includes(job.status)) {
      const error = job.status === 'invalid' ? (job.report?.header.errors[0] ?? 'The file cannot be imported.') : `The import ${job.status}.`;
      await this.db.prisma.csvBroadcast.updateMany({ where: { id: b.id, status: 'ingesting' }, data: { status: 'failed', error } });
    } else if (job.status === 'completed') {
      const patientIds = await this.patientsOf(org, b.importJobId);
      await this.db.prisma.csvBroadcast.updateMany({ where: { id: b.id, status: 'ingesting' }, data: { status: 'ready', patientIds } });
    }
    return this.db.prisma.csvBroadcast.findUniqueOrThrow({ where: { id: b.id } });
  }

  /**
   * The patients the applied file's rows are, read again from the stored upload through the
   * import's own header mapping, row check and matcher (every row now matches its patient).
   */
  private async patientsOf(org: Org, jobId: string): Promise<string[]> {
    const sql = this.db.sql;
    async function* chunks() {
      for (let seq = 0; ; seq++) {
        const [chunk] = await sql.query<{ data: Uint8Array }>('SELECT data FROM "ImportChunk" WHERE "jobId" = $1 AND seq = $2', [jobId, seq]);
        if (!chunk) return;
        yield chunk.data;
      }
    }
    const matcher = new ImportMatcher(org.id, sql);
    const options = { defaultCountry: org.defaultCountry ?? 'US', today: this.clock.now() };
    let header: ReturnType<typeof analyzeHeader> | null = null;
    const valid: ValidRow[] = [];
    let line = 0;
    for await (const cells of readCsvRows(chunks())) {
      line += 1;
      if (!header) {
        header = analyzeHeader(capHeader(cells));
        continue;
      }
      const check = checkPatientRow(cells, header, options);
      if (check.values) valid.push({ line, values: check.values });
    }
    const ids = new Set<string>();
    for (const outcome of await matcher.resolve(valid)) if (outcome.kind !== 'rejected' && outcome.kind !== 'create') ids.add(outcome.id);
    if (ids.size > MAX_SELECTED_PATIENTS) throw new TRPCError({ code: 'BAD_REQUEST', message: `The file has ${ids.size} patients; a broadcast goes to at most ${MAX_SELECTED_PATIENTS}. Split the file.` });
    return [...ids];
  }

  /** The latest broadcast sent from this number whose blast already has some of this file's patients. */
  private async follows(actor: Actor, b: CsvBroadcast) {
    if (!b.patientIds.length) return null;
    const [row] = await this.db.sql.query<{ id: string }>(
      `SELECT c.id FROM "CsvBroadcast" c
        WHERE c."orgId" = $1 AND c."phoneNumberId" = $2 AND c.id <> $3 AND c."blastId" IS NOT NULL AND c.status = 'sent'
          AND EXISTS (SELECT 1 FROM "BlastRecipient" r WHERE r."blastId" = c."blastId" AND r."patientId" = ANY($4::text[]))
        ORDER BY c."sentAt" DESC LIMIT 1`,
      [actor.orgId, b.phoneNumberId, b.id, b.patientIds],
    );
    if (!row) return null;
    const broadcast = await this.db.prisma.csvBroadcast.findUniqueOrThrow({ where: { id: row.id } });
    const blast = await this.db.prisma.blast.findUniqueOrThrow({ where: { id: broadcast.blastId! }, select: { body: true } });
    const inBlast = await this.db.prisma.blastRecipient.findMany({ where: { blastId: broadcast.blastId!, patientId: { in: b.patientIds } }, select: { patientId: true } });
    return { broadcast, body: blast.body, already: new Set(inBlast.map((r) => r.patientId)) };
  }

  /** Who of these patients got the blast's message (sent, or queued and on its way; not failed), and the first names. */
  private async gotIt(actor: Actor, blastId: string, patientIds: string[]) {
    const rows = await this.db.sql.query<{ firstName: string | null; lastName: string | null; phone: string | null }>(
      `SELECT p."firstName", p."lastName", p.phone FROM "BlastRecipient" r JOIN "Patient" p ON p.id = r."patientId"
         JOIN "Message" m ON m.id = r."messageId" AND m.status NOT IN ('failed', 'undelivered', 'canceled')
        WHERE r."blastId" = $1 AND r."patientId" = ANY($2::text[]) AND p."orgId" = $3
        ORDER BY p."lastName" ASC NULLS LAST, p."firstName" ASC NULLS LAST, p.id ASC`,
      [blastId, patientIds, actor.orgId],
    );
    return { count: rows.length, names: rows.slice(0, NAMES_SHOWN).map((p) => [p.firstName, p.lastName].filter(Boolean).join(' ') || p.phone || 'A patient') };
  }
}
