import { useEffect, useRef } from 'preact/hooks';
import { trpc } from '../../lib/trpc';

export type InboxEventHandlers = {
  /** A message was added to, or changed status in, this conversation. */
  onMessage: (conversationId: string) => void;
  /** The caller is no longer on the team they were watching (or in the organization). */
  onAccessRevoked: () => void;
  /** The stream dropped and came back: events may have been missed, so refetch. */
  onResync: () => void;
};

/**
 * The live inbox: new messages and status changes for the caller's teams (or just `teamId`),
 * pushed over SSE. The subscription restarts when the scope changes.
 */
export function useInboxEvents(teamId: string | null, enabled: boolean, handlers: InboxEventHandlers): void {
  const ref = useRef(handlers);
  ref.current = handlers;
  useEffect(() => {
    if (!enabled) return;
    let connected = false;
    const subscription = trpc.conversations.events.subscribe(teamId ? { teamId } : {}, {
      onConnectionStateChange(state) {
        if (state.state !== 'pending') return;
        if (connected) ref.current.onResync();
        connected = true;
      },
      onData(event) {
        if (event.type === 'message') ref.current.onMessage(event.conversationId);
        else if (event.type === 'access.revoked') ref.current.onAccessRevoked();
      },
      onError(error) {
        const code = (error.data as { code?: string } | undefined)?.code;
        if (code === 'FORBIDDEN' || code === 'NOT_FOUND') ref.current.onAccessRevoked();
      },
    });
    return () => subscription.unsubscribe();
  }, [teamId, enabled]);
}
