import { useEffect, useRef } from 'preact/hooks';
import { currentOrg } from '../../lib/session';
import { type RouterOutputs, trpc } from '../../lib/trpc';
import { whileVisible } from '../../lib/visibility';

type Delivered = RouterOutputs['conversations']['events'] extends AsyncIterable<infer E> ? E : never;
/** Many of a team's conversations got messages at once (a blast): their ids, not the messages. */
export type ConversationsChanged = Extract<Delivered, { type: 'conversations.changed' }>;
/**
 * A change in one of the caller's conversations, carrying what changed (a new message whole),
 * or many conversations named by id (`conversations.changed`).
 */
export type InboxEvent = Exclude<Delivered, { type: 'access.revoked' } | { type: 'resync' }>;

/**
 * The open inbox's live changes, handed to the list and the open thread, which patch what they
 * show (neither re-reads for an event). `connected` says whether changes are arriving at all.
 */
export class InboxFeed {
  connected = false;
  private readonly listeners = new Set<(event: InboxEvent) => void>();

  listen(listener: (event: InboxEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: InboxEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}

/** Calls `handler` (its latest version) for each change on the feed while mounted. */
export function useInboxFeed(feed: InboxFeed, handler: (event: InboxEvent) => void): void {
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => feed.listen((event) => ref.current(event)), [feed]);
}

export type InboxEventHandlers = {
  /** The caller is no longer on the team they were watching (or in the organization). */
  onAccessRevoked: () => void;
  /** The stream dropped and came back, or the server says events may have been missed: re-read. */
  onResync: () => void;
};

/**
 * The live inbox: new messages, status changes, unread counts and opt-outs for the caller's
 * teams (or just `teamId`), and blasts' bulk changes (many conversations by id), pushed over one
 * SSE stream (`conversations.events` with `bulk`) onto `feed`. The subscription restarts when the
 * scope changes, and closes while the tab stays hidden (see whileVisible), re-reading on return.
 */
export function useInboxEvents(teamId: string | null, enabled: boolean, feed: InboxFeed, handlers: InboxEventHandlers): void {
  const ref = useRef(handlers);
  ref.current = handlers;
  useEffect(() => {
    if (!enabled) return;
    // Blasts' bulk changes: not for an external collaborator (on no team: no blast reaches them).
    const input = { ...(teamId ? { teamId } : {}), bulk: currentOrg.value?.myRole !== 'external' };
    const open = () => {
      let connected = false;
      const subscription = trpc.conversations.events.subscribe(input, {
        onConnectionStateChange(state) {
          feed.connected = state.state === 'pending';
          if (state.state !== 'pending') return;
          if (connected) ref.current.onResync();
          connected = true;
        },
        onData(event) {
          if (event.type === 'access.revoked') ref.current.onAccessRevoked();
          else if (event.type === 'resync') ref.current.onResync();
          else feed.emit(event);
        },
        onError(error) {
          const code = (error.data as { code?: string } | undefined)?.code;
          if (code === 'FORBIDDEN' || code === 'NOT_FOUND') ref.current.onAccessRevoked();
        },
      });
      return () => {
        feed.connected = false;
        subscription.unsubscribe();
      };
    };
    return whileVisible(open, () => ref.current.onResync());
  }, [teamId, enabled, feed]);
}
