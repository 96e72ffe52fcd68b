import { addMessage, patchMessages } from '@caretext/shared';
import type { RouterOutputs } from '../../lib/trpc';
import type { InboxEvent } from './useInboxEvents';

type OpenConversation = RouterOutputs['conversations']['get'];
type ListedConversation = RouterOutputs['conversations']['list']['conversations'][number];

/**
 * The open thread with a live change applied: a new message added once, a status only forward,
 * the unread count and opt-out as the server now has them.
 */
export function applyToThread(open: OpenConversation, event: InboxEvent): OpenConversation {
  if (event.type === 'conversations.changed' || event.conversationId !== open.id) return open;
  let next = open;
  if (event.type === 'message.created') next = { ...next, messages: addMessage(next.messages, event.message) };
  if (event.type === 'message.updated') {
    const messages = patchMessages(next.messages, event.message);
    if (messages !== next.messages) next = { ...next, messages };
  }
  const change = event.conversation;
  if (change?.unreadCount !== undefined) next = { ...next, unreadCount: change.unreadCount };
  if (change?.optOut !== undefined) next = { ...next, optOut: change.optOut };
  return next;
}

/**
 * Inbox rows with a live change applied (latest first). `moved` is true when the change moves a
 * conversation these rows do not have to the top (a new one, or one on a later page): only then
 * does the list read its first page again.
 */
export function applyToList(rows: ListedConversation[], event: InboxEvent, me?: string): { rows: ListedConversation[]; moved: boolean } {
  if (event.type === 'conversations.changed') return { rows, moved: false };
  const change = event.conversation;
  if (!change) return { rows, moved: false };
  // I left this internal chat or was removed from it: it is no longer mine to list.
  if (me && change.removedUserIds?.includes(me)) return { rows: rows.filter((c) => c.id !== event.conversationId), moved: false };
  const i = rows.findIndex((c) => c.id === event.conversationId);
  if (i < 0) return { rows, moved: change.lastMessageAt !== undefined };
  const row = { ...rows[i]! };
  if (change.lastMessageAt !== undefined) row.lastMessageAt = change.lastMessageAt;
  if (change.lastMessagePreview !== undefined) row.lastMessagePreview = change.lastMessagePreview;
  if (change.unreadCount !== undefined) row.unreadCount = change.unreadCount;
  if (change.optOut !== undefined) row.optedOut = change.optOut !== null;
  const next = rows.map((c, j) => (j === i ? row : c));
  if (change.lastMessageAt !== undefined) next.sort((a, b) => new Date(b.lastMessageAt).getTime() - new Date(a.lastMessageAt).getTime());
  return { rows: next, moved: false };
}

/**
 * Many conversations got messages at once (a blast): their ids, or null for any other event.
 * Screens re-read what they show of them (the list its first page, the open thread itself).
 */
export function changedConversations(event: InboxEvent): ReadonlySet<string> | null {
  return event.type === 'conversations.changed' ? new Set(event.conversationIds) : null;
}

/**
 * A re-read that a burst of events runs at most twice: once now, and once more after it if
 * asked again meanwhile (a 50,000-recipient blast arrives as 500 events, not 500 reads).
 */
export function coalesce(run: () => Promise<unknown>): () => void {
  let running = false;
  let again = false;
  const go = () => {
    running = true;
    again = false;
    void run()
      .catch(() => undefined)
      .finally(() => {
        running = false;
        if (again) go();
      });
  };
  return () => {
    if (running) again = true;
    else go();
  };
}
