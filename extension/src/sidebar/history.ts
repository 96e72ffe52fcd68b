import { addMessage, patchMessages } from '@caretext/shared';
import type { HistoryChange, HistoryView } from '../views';

/**
 * The patient's history with a live change applied: a new message added once (in time order), a
 * status only forward, the patient's answer to a confirmation request. The caller checked that
 * the change is about this patient.
 */
export function applyToHistory<T extends HistoryView>(view: T, change: HistoryChange): T {
  let next = view;
  if (!next.conversationIds.includes(change.conversationId)) next = { ...next, conversationIds: [...next.conversationIds, change.conversationId] };
  if (change.added) next = { ...next, messages: addMessage(next.messages, change.added) };
  if (change.changed) {
    const messages = patchMessages(next.messages, change.changed);
    if (messages !== next.messages) next = { ...next, messages };
  }
  return next;
}
