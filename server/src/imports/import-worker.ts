import { hostname } from 'node:os';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import { EventBus } from '../events/event-bus.js';
import { CONFIG, DATABASE } from '../injection-tokens.js';
import { CLOCK, type Clock } from '../clock.js';
import { isAlive, PollingLoop, workerInstanceId } from '../jobs/polling-loop.js';
import { isDatabaseUnavailable } from '../db/unavailable.js';
import { ImportRunner, type JobRow } from './import-runner.js';

/** A job whose worker has not written for this long is taken over by another instance. */
const STALE_MS = 30_000;
const IDLE_POLL_MS = 1_000;

type ClaimedJob = JobRow & { status: string; fileName: string; createdById: string };

/**
 * Runs imports in the background: claims one job at a time from the database (so several
 * server instances share the work, and a job outlives the process that started it).
 */
@Injectable()
export class ImportWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Imports');
  private readonly instance = workerInstanceId();
  private readonly loop = new PollingLoop(
    async () => {
      const job = await this.claim();
      if (job) await this.process(job);
      return job !== null;
    },
    IDLE_POLL_MS,
    (error, failures) => {
      if (isDatabaseUnavailable(error)) this.logger.warn(`import worker: database unavailable (${error.message}); retrying (attempt ${failures})`);
      else this.logger.error(`import worker: ${error.message}`);
    },
  );
  private readonly runner: ImportRunner;

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly audit: AuditService,
    private readonly events: EventBus,
  ) {
    const crashAfter = config.faults.crashAfterImportBatches;
    this.runner = new ImportRunner(db, clock, (job, batch) => {
      this.publish(job.orgId, job.id, 'running', job.processedRows, job.totalRows);
      if (crashAfter !== null && batch >= crashAfter) {
        this.logger.warn(`fault injection: crashing after import batch ${batch}`);
        process.kill(process.pid, 'SIGKILL');
      }
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.releaseOrphans();
    this.loop.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  private get stopped(): boolean {
    return this.loop.isStopped;
  }

  /**
   * Jobs left claimed by a process that died. On PGlite one process owns the database (pid
   * lock), so every claim is an orphan; on PostgreSQL, claims by dead pids on this host are,
   * and other hosts' claims expire through their heartbeat.
   */
  private async releaseOrphans(): Promise<void> {
    const claimed = await this.db.sql.query<{ id: string; claimedBy: string }>(
      `SELECT id, "claimedBy" FROM "ImportJob" WHERE status IN ('analyzing', 'running') AND "claimedBy" IS NOT NULL`,
    );
    const host = hostname();
    const orphans = claimed.filter((job) => {
      if (this.db.kind === 'pglite') return true;
      const [jobHost, pid] = job.claimedBy.split(':');
      return jobHost === host && !isAlive(Number(pid));
    });
    for (const job of orphans) {
      await this.db.sql.query('UPDATE "ImportJob" SET "claimedBy" = NULL WHERE id = $1 AND "claimedBy" = $2', [job.id, job.claimedBy]);
    }
    if (orphans.length) this.logger.log(`resuming ${orphans.length} interrupted import(s)`);
  }

  wake(): void {
    this.loop.wake();
  }

  /**
   * The next job: unclaimed, or claimed by a worker that stopped writing, or by this one (a job
   * it let go of when the database went away: this loop works on one job at a time).
   */
  private async claim(): Promise<ClaimedJob | null> {
    const now = this.clock.now();
    const [job] = await this.db.sql.query<ClaimedJob>(
      `UPDATE "ImportJob" SET "claimedBy" = $1, "heartbeatAt" = $2,
              status = CASE WHEN status = 'queued' THEN 'running' ELSE status END,
              "startedAt" = CASE WHEN status = 'queued' THEN $2 ELSE "startedAt" END
        WHERE id = (
          SELECT id FROM "ImportJob"
           WHERE status IN ('analyzing', 'queued', 'running')
             AND ("claimedBy" IS NULL OR "claimedBy" = $1 OR "heartbeatAt" < $3)
           ORDER BY "createdAt" LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING id, "orgId", status, "fileName", "createdById", "processedRows", "totalRows", created, updated, unchanged, rejected`,
      [this.instance, now, new Date(now.getTime() - STALE_MS)],
    );
    return job ?? null;
  }

  private async release(jobId: string): Promise<void> {
    await this.db.sql.query('UPDATE "ImportJob" SET "claimedBy" = NULL WHERE id = $1 AND "claimedBy" = $2', [jobId, this.instance]);
  }

  private publish(orgId: string, jobId: string, status: string, processedRows: number, totalRows: number) {
    this.events.publish(orgId, { type: 'import.progress', jobId, status, processedRows, totalRows });
  }

  private async process(job: ClaimedJob): Promise<void> {
    try {
      if (job.status === 'analyzing') {
        const result = await this.runner.analyze(
          job,
          async (rows) => {
            await this.db.sql.query('UPDATE "ImportJob" SET "heartbeatAt" = $2, "processedRows" = $3 WHERE id = $1', [job.id, this.clock.now(), rows]);
            this.publish(job.orgId, job.id, 'analyzing', rows, 0);
          },
          () => this.stopped,
        );
        // Shutting down: another instance (or this one after restart) picks the job up again.
        if (result === 'interrupted') return this.release(job.id);
        const [ready] = await this.db.sql.query(
          `UPDATE "ImportJob" SET status = $2, report = $3, "totalRows" = $4, "processedRows" = 0, "claimedBy" = NULL WHERE id = $1 AND status = 'analyzing' RETURNING status`,
          [job.id, result.status, JSON.stringify(result.report), result.total],
        );
        // An invalid file, or one cancelled while it was checked, is never applied.
        if (ready?.status !== 'ready') await this.runner.forget(job.id);
        this.publish(job.orgId, job.id, result.status, 0, result.total);
        return;
      }
      const outcome = await this.runner.apply(job, () => this.stopped);
      if (outcome === 'interrupted') return this.release(job.id);
      if (outcome === 'completed') {
        await this.db.sql.query(`UPDATE "ImportJob" SET status = 'completed', "finishedAt" = $2, "claimedBy" = NULL WHERE id = $1 AND status = 'running'`, [job.id, this.clock.now()]);
        await this.audit.record(
          { orgId: job.orgId, userId: job.createdById, ip: null },
          { action: 'import.finished', summary: `Imported ${job.fileName}: ${job.created} created, ${job.updated} updated, ${job.unchanged} unchanged, ${job.rejected} rejected`, targetType: 'importJob', targetId: job.id },
        );
      }
      this.publish(job.orgId, job.id, outcome, job.processedRows, job.totalRows);
    } catch (error) {
      const message = (error as Error).message;
      if (isDatabaseUnavailable(error)) {
        // The batch in flight rolled back; the job keeps its claim and resumes from its last
        // committed batch once the database answers again (the loop backs off meanwhile).
        this.logger.warn(`import ${job.id}: database unavailable after ${job.processedRows} of ${job.totalRows} rows; it resumes when the database is back`);
        await this.release(job.id).catch(() => {});
        throw error;
      }
      this.logger.error(`import ${job.id} failed: ${message}`);
      await this.db.sql.query(
        `UPDATE "ImportJob" SET status = 'failed', error = $2, "finishedAt" = $3, "claimedBy" = NULL WHERE id = $1 AND status IN ('analyzing', 'running')`,
        [job.id, `Stopped after ${job.processedRows} of ${job.totalRows} rows (those were applied): ${message}`, this.clock.now()],
      );
      await this.runner.forget(job.id).catch(() => {});
      this.publish(job.orgId, job.id, 'failed', job.processedRows, job.totalRows);
    }
  }
}

