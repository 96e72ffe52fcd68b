import { signal } from '@preact/signals';
import { trpc } from './trpc';

/** Bumped when the server says something changed; queries list these as deps and refetch. */
export const revisions = {
  members: signal(0),
  teams: signal(0),
  org: signal(0),
};

export type LiveHandlers = {
  /** Members or org settings changed: the caller's own role or the org name may have too. */
  onSessionMayHaveChanged: () => void;
  onAccessRevoked: () => void;
};

/** Subscribes to the active organization's events for as long as the returned function is not called. */
export function subscribeToOrgEvents(handlers: LiveHandlers): () => void {
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
        case 'access.revoked':
          handlers.onAccessRevoked();
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
