import type { MessageAttachment } from '@caretext/shared';
import { EventEmitter, on } from 'node:events';
import { Injectable } from '@nestjs/common';

export type OrgEvent =
  | { type: 'members.changed' }
  | { type: 'teams.changed' }
  | { type: 'org.changed' }
  | { type: 'import.progress'; jobId: string; status: string; processedRows: number; totalRows: number }
  | ConversationEvent
  | ConversationsChangedEvent
  | { type: 'access.revoked'; userId: string }
  | ResyncEvent;

/**
 * Events may have been missed (the instance's LISTEN connection dropped and came back, or an
 * event was too large to send): subscribers tell their clients to re-read what they show.
 */
export type ResyncEvent = { type: 'resync' };

/** What /health says of the event channel: its kind, and whether events are arriving now. */
export type EventChannelHealth = { kind: 'in-process' | 'postgres-notify'; ok: boolean };

/**
 * What changed in a team's conversation, carried whole so open screens patch what they show
 * instead of re-reading the thread (a re-read loads 200 messages; only a person opening the
 * thread reads it, and that read is audited). Team-scoped: only conversations.events passes
 * these on, and only to members of `teamId` (an internal conversation's, which has no patient:
 * only to its participants).
 *
 * Compact on purpose: across instances these go through PostgreSQL NOTIFY (about 8000 bytes a
 * payload). A new message carries its body (at most 1600 characters, which fits); anything
 * larger must go by reference (the id, re-read by the subscriber) rather than inline.
 */
export type ConversationEvent =
  | { type: 'message.created'; teamId: string; conversationId: string; patientId: string | null; message: NewMessage; conversation: ConversationChange | null }
  | { type: 'message.updated'; teamId: string; conversationId: string; patientId: string | null; message: MessageState; conversation: ConversationChange | null }
  | { type: 'conversation.updated'; teamId: string; conversationId: string; patientId: string | null; conversation: ConversationChange };

/**
 * Many of a team's (patient) conversations got a message at once (a blast enqueued thousands):
 * their ids, by reference, in chunks of CONVERSATIONS_CHANGED_CHUNK (a NOTIFY payload holds about
 * 8000 bytes), instead of one message.created per message. Screens re-read what they show of
 * these conversations. Team-scoped like the conversation events: only the team's members get it.
 */
export type ConversationsChangedEvent = { type: 'conversations.changed'; teamId: string; conversationIds: string[] };
/** Conversation ids per conversations.changed event: 100 ids of 36 characters stay far under a NOTIFY payload. */
export const CONVERSATIONS_CHANGED_CHUNK = 100;

export const CONVERSATION_EVENTS: readonly ConversationEvent['type'][] = ['message.created', 'message.updated', 'conversation.updated'];

export function isConversationEvent(event: OrgEvent): event is ConversationEvent {
  return (CONVERSATION_EVENTS as readonly string[]).includes(event.type);
}

/**
 * A message as it is now, without its content: what a later change (status, error, the
 * patient's confirmation) can touch. Clients apply a status only forward (`statusRank`).
 */
export type MessageState = {
  id: string;
  direction: string;
  status: string;
  statusRank: number;
  errorCode: string | null;
  errorMessage: string | null;
  requestsConfirmation: boolean;
  confirmation: string | null;
  answersMessageId: string | null;
  sendAfter: Date | null;
  createdAt: Date;
  sentAt: Date | null;
  deliveredAt: Date | null;
  /** Recalled by its sender (secure messages): show "Message recalled", never the content. */
  recalled?: boolean;
  /** A secure message's files as they are now (on a recall of one file). */
  attachments?: MessageAttachment[];
};

/** A message just written: its state plus what it says and who sent it (a user id; subscribers name them). */
export type NewMessage = MessageState & { channel: string; body: string; mediaUrls: string[]; segments: number; senderId: string | null; attachments: MessageAttachment[]; recalled: boolean };

/** What a change did to its conversation (the inbox row, the thread header); absent keys did not change. */
export type ConversationChange = {
  lastMessageAt?: Date;
  lastMessagePreview?: string | null;
  unreadCount?: number;
  /** The patient's opt-out from this conversation's number (STOP, or the carrier said so), or null after START. */
  optOut?: { keyword: string; at: Date } | null;
  /** An internal chat's people changed (added, removed, left, invited): re-read its participants. */
  participantsChanged?: true;
  /** Who was just taken out of it (or left): their screens drop the conversation. */
  removedUserIds?: string[];
};

/**
 * In-process fan-out for live updates (tRPC subscriptions): one instance's subscribers (PGlite,
 * one process by construction). On PostgreSQL, PgNotifyEventBus (pg-notify-event-bus.ts) sends
 * the same calls through LISTEN/NOTIFY so every instance's subscribers see them.
 */
@Injectable()
export class EventBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  get health(): EventChannelHealth {
    return { kind: 'in-process', ok: true };
  }

  publish(orgId: string, event: OrgEvent): void {
    this.deliver(orgId, event);
  }

  /** Hands an event to this instance's subscribers of `orgId`. */
  protected deliver(orgId: string, event: OrgEvent): void {
    this.emitter.emit(`org:${orgId}`, event);
  }

  /** Tells this instance's subscribers (of one organization, or all) that they may have missed events. */
  protected resync(orgId: string | null): void {
    const channels = orgId ? [`org:${orgId}`] : this.emitter.eventNames().filter((name): name is string => typeof name === 'string' && name.startsWith('org:'));
    for (const channel of channels) this.emitter.emit(channel, { type: 'resync' } satisfies ResyncEvent);
  }

  async close(): Promise<void> {}

  /**
   * An organization's events from the moment of the call (not from the first `next()`): a
   * caller that checks access before iterating misses nothing published meanwhile.
   */
  subscribe(orgId: string, signal?: AbortSignal): AsyncIterableIterator<OrgEvent> {
    const events = on(this.emitter, `org:${orgId}`, { signal });
    const stream: AsyncIterableIterator<OrgEvent> = {
      [Symbol.asyncIterator]: () => stream,
      next: async () => {
        const next = await events.next();
        return next.done ? { done: true, value: undefined } : { done: false, value: (next.value as [OrgEvent])[0] };
      },
      return: async () => {
        await events.return?.();
        return { done: true, value: undefined };
      },
    };
    return stream;
  }

  /**
   * A user's sessions ended (sign-out: one session; password reset: all of them). Live streams
   * of those sessions listen here so they close at once instead of at their next re-check.
   */
  publishSessionEnded(event: SessionEndedEvent): void {
    this.deliverSessionEnded(event);
  }

  protected deliverSessionEnded(event: SessionEndedEvent): void {
    this.emitter.emit(`user:${event.userId}`, event);
  }

  /** Calls `listener` when a session of this user ends; returns the function that stops listening. */
  onSessionEnded(userId: string, listener: (event: SessionEndedEvent) => void): () => void {
    this.emitter.on(`user:${userId}`, listener);
    return () => this.emitter.off(`user:${userId}`, listener);
  }
}

export type SessionEndReason = 'signed_out' | 'password_reset' | 'idle';
/** `sessionId: null` means every session of the user. */
export type SessionEndedEvent = { userId: string; sessionId: string | null; reason: SessionEndReason };
