import { movesForward } from './message-status.js';

/**
 * How a screen that shows messages applies live changes (conversations.events) instead of
 * re-reading the thread: one rule for the web Inbox and the extension sidebar.
 */

/** What a shown message needs to be patched: its id, status and confirmation answer. */
export type ShownMessage = { id: string; status: string; confirmation?: string | null };

/** A later state of a message: its status and what comes with it, and the patient's answer. */
export type MessageStateChange = {
  id: string;
  status: string;
  errorCode: string | null;
  errorMessage: string | null;
  confirmation: string | null;
  sentAt?: unknown;
  deliveredAt?: unknown;
  /** A secure message the patient viewed in the portal (its read receipt); absent on SMS. */
  readAt?: Date | string | null;
  /** A secure message its sender recalled: its body and files are no longer shown. */
  recalled?: boolean;
  /** A secure message's files as they are now (one may have been recalled). */
  attachments?: { id: string; fileName: string; contentType?: string; size?: number; recalled: boolean }[];
};

/** What moves together with a status: only ever forward, never back (a late event for an earlier state changes nothing). */
const WITH_STATUS = ['status', 'errorCode', 'errorMessage', 'sentAt', 'deliveredAt'] as const;

/**
 * `shown` with `change` applied: the status (with its error and times) only if it moves forward
 * by rank, and a confirmation answer once given. Returns `shown` itself when nothing changes.
 */
export function patchMessage<T extends ShownMessage>(shown: T, change: MessageStateChange): T {
  const next: Record<string, unknown> = { ...shown };
  let changed = false;
  if (movesForward(shown.status, change.status)) {
    for (const key of WITH_STATUS) {
      if (key in change && (key in shown || key === 'status')) next[key] = change[key];
    }
    changed = true;
  }
  if (change.confirmation && change.confirmation !== shown.confirmation && 'confirmation' in shown) {
    next.confirmation = change.confirmation;
    changed = true;
  }
  // The read receipt comes without a status change (a viewed secure message stays 'sent'); once set it stays.
  if (change.readAt && !(shown as { readAt?: unknown }).readAt) {
    next.readAt = change.readAt;
    changed = true;
  }
  // A recall is final: the body and files go, and stay gone.
  if (change.recalled && !(shown as { recalled?: unknown }).recalled) {
    next.recalled = true;
    next.body = '';
    changed = true;
  }
  if (change.attachments && JSON.stringify(change.attachments) !== JSON.stringify((shown as { attachments?: unknown }).attachments ?? [])) {
    next.attachments = change.attachments;
    changed = true;
  }
  return changed ? (next as T) : shown;
}

/** Patches the message `change.id` in a list (the same list back when it is not there or nothing changes). */
export function patchMessages<T extends ShownMessage>(messages: T[], change: MessageStateChange): T[] {
  const i = messages.findIndex((m) => m.id === change.id);
  if (i < 0) return messages;
  const patched = patchMessage(messages[i]!, change);
  return patched === messages[i] ? messages : messages.map((m, j) => (j === i ? patched : m));
}

/**
 * A new message added once, in time order: the same message arriving twice (the live event and
 * a reload, or two events) is kept once, in the state furthest along.
 */
export function addMessage<T extends ShownMessage & { createdAt: Date | string }>(messages: T[], message: T): T[] {
  const i = messages.findIndex((m) => m.id === message.id);
  if (i >= 0) return patchMessages(messages, { errorCode: null, errorMessage: null, confirmation: null, ...message });
  const at = new Date(message.createdAt).getTime();
  let insert = messages.length;
  while (insert > 0 && new Date(messages[insert - 1]!.createdAt).getTime() > at) insert--;
  return [...messages.slice(0, insert), message, ...messages.slice(insert)];
}
