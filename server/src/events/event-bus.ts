import { EventEmitter, on } from 'node:events';
import { Injectable } from '@nestjs/common';

export type OrgEvent =
  | { type: 'members.changed' }
  | { type: 'teams.changed' }
  | { type: 'org.changed' }
  | { type: 'import.progress'; jobId: string; status: string; processedRows: number; totalRows: number }
  /** A message was created or changed status in a team's conversation. */
  | { type: 'message'; teamId: string; conversationId: string; messageId: string }
  | { type: 'access.revoked'; userId: string };

/**
 * In-process fan-out for live updates (tRPC subscriptions). With several server instances this
 * becomes PostgreSQL LISTEN/NOTIFY; the interface stays the same.
 */
@Injectable()
export class EventBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  publish(orgId: string, event: OrgEvent): void {
    this.emitter.emit(`org:${orgId}`, event);
  }

  async *subscribe(orgId: string, signal?: AbortSignal): AsyncGenerator<OrgEvent> {
    for await (const [event] of on(this.emitter, `org:${orgId}`, { signal })) {
      yield event as OrgEvent;
    }
  }

  /**
   * A user's sessions ended (sign-out: one session; password reset: all of them). Live streams
   * of those sessions listen here so they close at once instead of at their next re-check.
   */
  publishSessionEnded(event: SessionEndedEvent): void {
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
