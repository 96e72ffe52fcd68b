import { useEffect, useRef } from 'preact/hooks';
import { type ImportProgress, importProgress } from '../../../lib/live';
import { useQuery } from '../../../lib/query';
import { trpc } from '../../../lib/trpc';
import { isActive, withLiveProgress } from './status';

const POLL_MS = 1000;

/**
 * One import job, kept current while it is checking or importing: a live event with a new status
 * reads it again at once, one within the status moves its progress (rows done) by itself, and a
 * poll about once a second brings the counts so far and covers a stream that is down or late.
 * A viewer asks the server about once a second, not once per 1,000-row batch.
 */
export function useImportJob(jobId: string) {
  const job = useQuery(() => trpc.imports.get.query({ jobId }), [jobId]);
  const active = job.data ? isActive(job.data.status) : false;

  useEffect(() => {
    if (!active) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout>;
    // The next poll waits for the previous answer, so a slow server is never asked twice at once.
    const poll = async () => {
      await job.reload();
      if (!stopped) timer = setTimeout(poll, POLL_MS);
    };
    timer = setTimeout(poll, POLL_MS);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [active, jobId]);

  const live = importProgress.value;
  const loadedStatus = job.data?.status;
  useEffect(() => {
    if (live?.jobId === jobId && live.status !== loadedStatus) void job.reload();
  }, [live]);

  // The last event in the status as read: while an event of a new status waits for its read,
  // the progress shown stays where that one left it (never back to what the last read said).
  const lastInStatus = useRef<ImportProgress | null>(null);
  if (live?.jobId === jobId && live.status === loadedStatus) lastInStatus.current = live;
  return job.data ? { ...job, data: withLiveProgress(withLiveProgress(job.data, lastInStatus.current), live) } : job;
}
