import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { neutralizeFormula, stripControlChars } from '@caretext/shared';
import { TRPCError } from '@trpc/server';
import Papa from 'papaparse';
import type { Actor } from '../access/access.service.js';
import { AuditService } from '../audit/audit.service.js';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import { CONFIG, DATABASE } from '../injection-tokens.js';
import { CLOCK, type Clock } from '../clock.js';
import { CHUNK_BYTES, type ImportReport } from './import-runner.js';
import { ImportWorker } from './import-worker.js';

/** Jobs that hold their file: a second upload of the same content is refused meanwhile. */
export const ACTIVE_STATUSES = ['analyzing', 'ready', 'queued', 'running'];

export class UploadError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Extra fields for the JSON answer (a 409 names the import already running). */
    readonly extra: Record<string, string> = {},
  ) {
    super(message);
  }
}

@Injectable()
export class ImportsService {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly audit: AuditService,
    private readonly worker: ImportWorker,
  ) {}

  /** Stores the upload in 1 MB chunks while hashing it, then queues the dry run. */
  async upload(actor: Actor, fileName: string, body: Readable, declaredBytes?: number): Promise<{ jobId: string }> {
    if (declaredBytes !== undefined && declaredBytes > this.config.importMaxBytes) throw this.tooLarge();
    const job = await this.db.prisma.importJob.create({
      data: { orgId: actor.orgId, createdById: actor.userId, fileName: stripControlChars(fileName).slice(0, 200) || 'patients.csv', fileHash: '', fileSize: 0, status: 'uploading' },
    });
    const hash = createHash('sha256');
    let size = 0;
    let seq = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      if (!pendingBytes) return;
      const data = Buffer.concat(pending);
      pending = [];
      pendingBytes = 0;
      await this.db.sql.query('INSERT INTO "ImportChunk" ("jobId", seq, data) VALUES ($1, $2, $3)', [job.id, seq++, data]);
    };
    try {
      for await (const piece of body) {
        const buf = Buffer.isBuffer(piece) ? piece : Buffer.from(piece as Uint8Array);
        size += buf.length;
        // Too large: keep reading (and dropping) the body, so the client gets our answer rather
        // than a reset connection; stop reading only if it goes on far past the limit.
        if (size > this.config.importMaxBytes) {
          if (size > this.config.importMaxBytes * 4) break;
          continue;
        }
        hash.update(buf);
        pending.push(buf);
        pendingBytes += buf.length;
        if (pendingBytes >= CHUNK_BYTES) await flush();
      }
      if (size > this.config.importMaxBytes) throw this.tooLarge();
      await flush();
      if (size === 0) throw new UploadError(400, 'The file is empty.');
    } catch (error) {
      await this.db.prisma.importJob.delete({ where: { id: job.id } });
      throw error;
    }
    const fileHash = hash.digest('hex');
    const conflict = await this.db.transaction(async (tx) => {
      // Serializes uploads of the same content in the same org, across server instances.
      await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`${actor.orgId}:${fileHash}`]);
      const [other] = await tx.query<{ id: string; createdAt: Date; name: string; status: string }>(
        `SELECT j.id, j."createdAt", u.name, j.status FROM "ImportJob" j JOIN "User" u ON u.id = j."createdById"
          WHERE j."orgId" = $1 AND j."fileHash" = $2 AND j.status = ANY($3::text[]) AND j.id <> $4 LIMIT 1`,
        [actor.orgId, fileHash, ACTIVE_STATUSES, job.id],
      );
      if (other) return other;
      await tx.query(`UPDATE "ImportJob" SET "fileHash" = $2, "fileSize" = $3, status = 'analyzing' WHERE id = $1`, [job.id, fileHash, size]);
      return null;
    });
    if (conflict) {
      await this.db.prisma.importJob.delete({ where: { id: job.id } });
      const when = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short', timeZone: (await this.db.prisma.org.findUniqueOrThrow({ where: { id: actor.orgId } })).timeZone }).format(conflict.createdAt);
      throw new UploadError(409, `This file is already being imported (uploaded by ${conflict.name} on ${when}, ${conflict.status}). Wait for that import to finish or cancel it.`, { jobId: conflict.id });
    }
    await this.audit.record(actor, { action: 'import.uploaded', summary: `Uploaded ${job.fileName} (${size} bytes) for import`, targetType: 'importJob', targetId: job.id });
    this.worker.wake();
    return { jobId: job.id };
  }

  private tooLarge(): UploadError {
    return new UploadError(413, `The file is larger than ${Math.round(this.config.importMaxBytes / 1024 / 1024)} MB. Split it into smaller files.`);
  }

  async list(actor: Actor) {
    const jobs = await this.db.prisma.importJob.findMany({
      where: { orgId: actor.orgId, status: { not: 'uploading' } },
      include: { createdBy: { select: { name: true } } },
      orderBy: { createdAt: 'desc' },
      take: 20,
    });
    // The list shows counts and the first header error only: the header findings stay on
    // imports.get, so twenty jobs never multiply a wide header twenty times.
    return jobs.map((j) => {
      const view = this.view(j);
      const report = view.report && { ...view.report, header: { columns: [], unrecognized: [], duplicates: [], errors: view.report.header.errors.slice(0, 1) } };
      return { ...view, report };
    });
  }

  private async find(actor: Actor, jobId: string) {
    const job = await this.db.prisma.importJob.findFirst({ where: { id: jobId, orgId: actor.orgId }, include: { createdBy: { select: { name: true } } } });
    if (!job) throw new TRPCError({ code: 'NOT_FOUND', message: 'Import not found.' });
    return job;
  }

  async get(actor: Actor, jobId: string) {
    const job = await this.find(actor, jobId);
    const previous = await this.db.prisma.importJob.findFirst({
      where: { orgId: actor.orgId, fileHash: job.fileHash, status: 'completed', id: { not: job.id } },
      include: { createdBy: { select: { name: true } } },
      orderBy: { finishedAt: 'desc' },
    });
    return { ...this.view(job), previousImport: previous ? { at: previous.finishedAt, by: previous.createdBy.name, created: previous.created, updated: previous.updated } : null };
  }

  async issues(actor: Actor, jobId: string, input: { severity?: 'error' | 'warning'; page: number; pageSize: number }) {
    await this.find(actor, jobId);
    const where = { jobId, severity: input.severity };
    const [total, rows] = await Promise.all([
      this.db.prisma.importRowIssue.count({ where }),
      this.db.prisma.importRowIssue.findMany({ where, orderBy: [{ line: 'asc' }, { id: 'asc' }], skip: (input.page - 1) * input.pageSize, take: input.pageSize }),
    ]);
    return { total, issues: rows.map((r) => ({ line: r.line, severity: r.severity, field: r.field, message: r.message })) };
  }

  /** Starts applying a dry-run: only once, however many times it is clicked. */
  async confirm(actor: Actor, jobId: string) {
    const job = await this.find(actor, jobId);
    const claimed = await this.db.prisma.importJob.updateMany({ where: { id: job.id, status: 'ready' }, data: { status: 'queued', confirmedAt: this.clock.now() } });
    if (claimed.count === 1) {
      await this.audit.record(actor, { action: 'import.confirmed', summary: `Started importing ${job.fileName} (${job.totalRows} rows)`, targetType: 'importJob', targetId: job.id });
      this.worker.wake();
    } else {
      const now = await this.db.prisma.importJob.findUniqueOrThrow({ where: { id: job.id }, select: { status: true } });
      if (!['queued', 'running', 'completed'].includes(now.status)) {
        throw new TRPCError({ code: 'BAD_REQUEST', message: `This import cannot be started: it is ${now.status}.` });
      }
    }
    return this.get(actor, jobId);
  }

  async cancel(actor: Actor, jobId: string) {
    const job = await this.find(actor, jobId);
    const claimed = await this.db.prisma.importJob.updateMany({
      where: { id: job.id, status: { in: ['analyzing', 'ready', 'queued', 'running'] } },
      data: { status: 'cancelled', finishedAt: this.clock.now() },
    });
    if (claimed.count === 0) throw new TRPCError({ code: 'BAD_REQUEST', message: `This import is already ${job.status}.` });
    // The rows its dry run checked are not needed any more. A running import's worker deletes
    // them itself when it sees the cancel (it may be reading them now); one being checked, when
    // its dry run ends.
    if (job.status === 'ready' || job.status === 'queued') await this.db.sql.query('DELETE FROM "ImportCheckedBatch" WHERE "jobId" = $1', [job.id]);
    await this.audit.record(actor, { action: 'import.cancelled', summary: `Cancelled the import of ${job.fileName}`, targetType: 'importJob', targetId: job.id });
    return this.get(actor, jobId);
  }

  /** The rejected and flagged rows as a CSV: the original columns plus line and problem, ready to fix and re-upload. */
  async *reportCsv(actor: Actor, jobId: string): AsyncGenerator<string> {
    const job = await this.find(actor, jobId);
    const report = job.report as ImportReport | null;
    const header = report?.header.columns ?? [];
    // Every cell, header row included, goes through csvCell: a header is file content too.
    yield '\ufeff' + Papa.unparse([['line', 'severity', 'problem', ...header].map(csvCell)]) + '\r\n';
    let cursor = 0;
    for (;;) {
      const rows = await this.db.prisma.importRowIssue.findMany({ where: { jobId: job.id, line: { gt: cursor } }, orderBy: [{ line: 'asc' }, { id: 'asc' }], take: 2000 });
      if (!rows.length) return;
      // Keep every issue of the last line together in one page.
      const lastLine = rows[rows.length - 1]!.line;
      const page = rows.length === 2000 ? rows.filter((r) => r.line < lastLine) : rows;
      const safe = page.length ? page : rows;
      const byLine = new Map<number, typeof rows>();
      for (const r of safe) byLine.set(r.line, [...(byLine.get(r.line) ?? []), r]);
      const out = [...byLine.values()].map((issues) => {
        const cells = JSON.parse(issues[0]!.raw ?? '[]') as string[];
        const severity = issues.some((i) => i.severity === 'error') ? 'rejected' : 'warning';
        return [String(issues[0]!.line), severity, issues.map((i) => i.message).join(' | '), ...cells].map(csvCell);
      });
      yield Papa.unparse(out) + '\r\n';
      cursor = safe[safe.length - 1]!.line;
    }
  }

  private view(job: { id: string; fileName: string; fileSize: number; status: string; totalRows: number; processedRows: number; created: number; updated: number; unchanged: number; rejected: number; report: unknown; error: string | null; createdAt: Date; confirmedAt: Date | null; finishedAt: Date | null; createdBy: { name: string } }) {
    return {
      id: job.id,
      fileName: job.fileName,
      fileSize: job.fileSize,
      status: job.status,
      totalRows: job.totalRows,
      processedRows: job.processedRows,
      applied: { created: job.created, updated: job.updated, unchanged: job.unchanged, rejected: job.rejected },
      report: job.report as ImportReport | null,
      error: job.error,
      createdBy: job.createdBy.name,
      createdAt: job.createdAt,
      confirmedAt: job.confirmedAt,
      finishedAt: job.finishedAt,
    };
  }
}

/** A report cell: control characters (a NUL that got the row rejected) removed, formulas made inert. */
function csvCell(cell: string): string {
  return neutralizeFormula(stripControlChars(cell));
}
