import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AnalyticsService } from '../analytics/analytics.service.js';
import { AttachmentsService } from '../attachments/attachments.service.js';
import { BlastImagesService } from '../blasts/blast-images.js';
import { CLOCK, type Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import { DATABASE } from '../injection-tokens.js';
import { PollingLoop } from './polling-loop.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** How often each instance sweeps (every instance may: the deletes are idempotent). */
const SWEEP_EVERY_MS = HOUR;
/** Rows deleted per statement, so a long-neglected table never holds locks for long. */
const BATCH = 5_000;

/**
 * What each sweep deletes, and why it is no longer needed. Each rule's age is well past the
 * longest window anything reads it for.
 */
const RULES: { table: string; where: string; keep: number; why: string }[] = [
  // Sign-in limits count failures in the last 15 minutes (SIGN_IN_LIMIT).
  { table: 'LoginAttempt', where: `"createdAt" < $1`, keep: DAY, why: 'sign-in attempts' },
  // The portal counts an address's failures in the last hour (LOCK_MS).
  { table: 'PortalAttempt', where: `"createdAt" < $1`, keep: DAY, why: 'portal verification attempts' },
  // A remembered browser is no longer honoured after expiresAt.
  { table: 'PortalDevice', where: `"expiresAt" < $1`, keep: 0, why: 'expired portal devices' },
  // An expired or revoked session is refused like an unknown one; kept a week for support questions.
  { table: 'Session', where: `("expiresAt" < $1 OR "revokedAt" < $1)`, keep: 7 * DAY, why: 'ended sessions' },
];

/**
 * Deletes rows that only ever grow and stop mattering after a while (attempt counters, expired
 * devices and sessions, files uploaded to a draft and never sent, blast images no blast uses,
 * analytics change rows), in small batches, once an hour
 * on each instance. Messages, sent files, audit events and carrier callbacks are records, never
 * swept here.
 */
@Injectable()
export class Housekeeping implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Housekeeping');
  private readonly loop = new PollingLoop(
    async () => {
      await this.sweep();
      return false;
    },
    SWEEP_EVERY_MS,
    (error) => this.logger.warn(`sweep failed (next one retries): ${error.message}`),
  );

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly attachments: AttachmentsService,
    private readonly blastImages: BlastImagesService,
    private readonly analytics: AnalyticsService,
  ) {}

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  /** One sweep; returns how many rows each rule deleted (tests call it directly). */
  async sweep(): Promise<Record<string, number>> {
    const now = this.clock.now().getTime();
    const deleted: Record<string, number> = {};
    for (const rule of RULES) {
      const before = new Date(now - rule.keep);
      let total = 0;
      for (;;) {
        const rows = await this.db.sql.query<{ id: string }>(
          `DELETE FROM "${rule.table}" WHERE id IN (SELECT id FROM "${rule.table}" WHERE ${rule.where} LIMIT ${BATCH}) RETURNING id`,
          [before],
        );
        total += rows.length;
        if (rows.length < BATCH) break;
      }
      deleted[rule.table] = total;
      if (total) this.logger.log(`deleted ${total} ${rule.why}`);
    }
    // Files uploaded to a draft a day ago and never sent: nobody can be sent them any more.
    deleted.Attachment = await this.attachments.sweepUnsent(new Date(now - DAY));
    if (deleted.Attachment) this.logger.log(`deleted ${deleted.Attachment} files uploaded but never sent`);
    // MMS images uploaded in a blast wizard a week ago that no blast carries.
    deleted.BlastImage = await this.blastImages.sweepUnused(new Date(now - 7 * DAY));
    if (deleted.BlastImage) this.logger.log(`deleted ${deleted.BlastImage} blast images no blast uses`);
    // Analytics change rows pile up where nobody opens the dashboard: consume them (their days
    // are recomputed when next viewed, see analytics-rollup.ts).
    deleted.AnalyticsChange = await this.analytics.consumeChanges();
    return deleted;
  }
}
