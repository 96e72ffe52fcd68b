import type { ImportProgress } from '../../../lib/live';
import type { RouterOutputs } from '../../../lib/trpc';

export type ImportJob = RouterOutputs['imports']['get'];
export type ImportSummary = RouterOutputs['imports']['list'][number];

/** Statuses in which the job changes by itself: the page keeps watching. */
const ACTIVE = new Set(['analyzing', 'queued', 'running']);

export function isActive(status: string): boolean {
  return ACTIVE.has(status);
}

const LABELS: Record<string, { label: string; tone: string }> = {
  analyzing: { label: 'Checking', tone: 'badge-soft' },
  ready: { label: 'Ready to import', tone: 'badge-pending' },
  invalid: { label: "Can't import", tone: 'badge-rejected' },
  queued: { label: 'Starting', tone: 'badge-soft' },
  running: { label: 'Importing', tone: 'badge-soft' },
  completed: { label: 'Completed', tone: 'badge-approved' },
  failed: { label: 'Failed', tone: 'badge-rejected' },
  cancelled: { label: 'Cancelled', tone: '' },
};

export function statusLabel(status: string): { label: string; tone: string } {
  return LABELS[status] ?? { label: status, tone: '' };
}

/** Whole percent of rows done, 0–100; 100 only when every row is. */
export function percentDone(processed: number, total: number): number {
  if (total <= 0) return 0;
  if (processed >= total) return 100;
  return Math.min(99, Math.floor((processed / total) * 100));
}

/** Patients the import will touch: created plus updated (unchanged rows need no write). */
export function patientsToImport(job: Pick<ImportJob, 'report'>): number {
  const dryRun = job.report?.dryRun;
  return dryRun ? dryRun.created + dryRun.updated : 0;
}

export function plural(n: number, one: string, many: string): string {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}

/** "202 created, 1 updated, 2 rejected": only the counts that are not zero (or "nothing changed"). */
export function countsSentence(c: { created: number; updated: number; unchanged: number; rejected: number }): string {
  const parts = [
    c.created && `${c.created.toLocaleString()} created`,
    c.updated && `${c.updated.toLocaleString()} updated`,
    c.unchanged && `${c.unchanged.toLocaleString()} unchanged`,
    c.rejected && `${c.rejected.toLocaleString()} rejected`,
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : 'nothing changed';
}

/**
 * The job with the rows done as the latest live event says, when that event is about this job
 * in the status it was read in and further along: progress moves with each batch's event, while
 * the job itself is read again only when its status changes and by the page's slow poll.
 */
export function withLiveProgress<T extends { id: string; status: string; processedRows: number }>(job: T, live: ImportProgress | null): T {
  if (!live || live.jobId !== job.id || live.status !== job.status || live.processedRows <= job.processedRows) return job;
  return { ...job, processedRows: live.processedRows };
}
