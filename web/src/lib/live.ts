import { signal } from '@preact/signals';
import { trpc } from './trpc';
import { whileVisible } from './visibility';

/** Bumped when the server says something changed; queries list these as deps and refetch. */
export const revisions = {
  members: signal(0),
  teams: signal(0),
  org: signal(0),
  imports: signal(0),
};

export type ImportProgress = { jobId: string; status: string; processedRows: number; totalRows: number };

/**
 * The latest progress event of any import in the organization. Pages watching a job also poll,
 * so a dropped stream only makes progress less smooth, never stuck.
 */
export const importProgress = signal<ImportProgress | null>(null);

export type LiveHandlers = {
  /** Members or org settings changed: the caller's own role or the org name may have too. */
  onSessionMayHaveChanged: () => void;
  onAccessRevoked: () => void;
};

/** Subscribes to the active organization's events for as long as the returned function is not called. */
export function subscribeToOrgEvents(handlers: LiveHandlers): () => void {
  // Closed while the tab stays hidden (see whileVisible); on return, everything shown is re-read.
  return whileVisible(
    () => openOrgEvents(handlers),
    () => {
      for (const revision of Object.values(revisions)) revision.value++;
      handlers.onSessionMayHaveChanged();
    },
  );
}

function openOrgEvents(handlers: LiveHandlers): () => void {
  /** Each import's last status seen on this stream. */
  const statuses = new Map<string, string>();
  const subscription = trpc.orgs.events.subscribe(undefined, {
    onData(event) {
      switch (event.type) {
        case 'members.changed':
          revisions.members.value++;
          // Team cards list member names, and the caller's role may be what changed.
          revisions.teams.value++;
          handlers.onSessionMayHaveChanged();
          break;
        case 'teams.changed':
          revisions.teams.value++;
          revisions.members.value++;
          break;
        case 'org.changed':
          revisions.org.value++;
          handlers.onSessionMayHaveChanged();
          break;
        case 'import.progress':
          // Lists of imports are read again when a job's status changes; its progress within a
          // status is the event's (withLiveProgress), not a new read per 1,000-row batch.
          if (statuses.get(event.jobId) !== event.status) revisions.imports.value++;
          statuses.set(event.jobId, event.status);
          importProgress.value = { jobId: event.jobId, status: event.status, processedRows: event.processedRows, totalRows: event.totalRows };
          break;
        case 'access.revoked':
          handlers.onAccessRevoked();
          break;
        case 'resync':
          // Changes may have been missed (the server's event channel dropped): re-read everything shown.
          for (const revision of Object.values(revisions)) revision.value++;
          handlers.onSessionMayHaveChanged();
          break;
      }
    },
    onError(error) {
      // Refused at the start: the membership is already gone.
      const code = (error.data as { code?: string } | undefined)?.code;
      if (code === 'FORBIDDEN') handlers.onAccessRevoked();
    },
  });
  return () => subscription.unsubscribe();
}
