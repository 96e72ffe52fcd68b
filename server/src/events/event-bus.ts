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
}
