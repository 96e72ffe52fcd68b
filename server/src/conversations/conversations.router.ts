import { type SendMessageResult, sendMessageInput } from '@caretext/shared';
import { z } from 'zod';
import type { AccessService } from '../access/access.service.js';
import { type EventBus, isConversationEvent } from '../events/event-bus.js';
import type { MessagingService } from '../messages/messaging.service.js';
import { conversationProcedure, orgProcedure, router, teamProcedure } from '../trpc/trpc.js';
import type { ConversationsService } from './conversations.service.js';

const id = z.string().min(1).max(64);

export function conversationsRouter(conversations: ConversationsService, messaging: MessagingService, access: AccessService, events: EventBus) {
  return router({
    list: orgProcedure
      .input(z.object({ teamId: id.optional(), cursor: id.optional(), limit: z.number().int().min(1).max(100).default(30) }).default({ limit: 30 }))
      .query(({ ctx, input }) => conversations.list(ctx.actor, input)),
    get: conversationProcedure.query(({ ctx }) => conversations.get(ctx.actor, ctx.scope)),
    markRead: conversationProcedure.mutation(({ ctx }) => conversations.markRead(ctx.scope)),
    forPatient: orgProcedure.input(z.object({ patientId: id })).query(({ ctx, input }) => conversations.forPatient(ctx.actor, input.patientId)),
    availability: teamProcedure
      .input(z.object({ teamId: id, patientIds: z.array(id).max(50) }))
      .query(({ ctx, input }) => messaging.availability(ctx.actor, input)),
    startSms: teamProcedure.input(z.object({ teamId: id, patientId: id })).mutation(({ ctx, input }) => messaging.startSms(ctx.actor, input)),
    startSecure: teamProcedure.input(z.object({ teamId: id, patientId: id })).mutation(({ ctx, input }) => messaging.startSecure(ctx.actor, input)),
    send: teamProcedure.input(sendMessageInput).mutation(async ({ ctx, input }) => {
      const { duplicate, message, notification } = await messaging.send(ctx.actor, input);
      return { duplicate, conversationId: message.conversationId, messageId: message.id, status: message.status, sendAfter: message.sendAfter, notification } satisfies SendMessageResult;
    }),
    /**
     * Live inbox: new messages (with their text), status and confirmation changes, unread counts
     * and opt-outs for the caller's teams (or one team), each carrying what changed so screens
     * patch instead of re-reading. Team membership is re-read when teams change, so a removed
     * member stops receiving at once, and a subscription to a single team ends with `access.revoked`.
     * `resync` says changes may have been missed (as a reconnect does): re-read what is shown.
     */
    events: orgProcedure.input(z.object({ teamId: id.optional() }).default({})).subscription(async function* ({ ctx, input, signal }) {
      // Listening before the access checks below: what is published while they run is kept.
      const stream = events.subscribe(ctx.actor.orgId, signal);
      let teams: Set<string>;
      try {
        if (input.teamId) await access.requireTeamMember(ctx.actor, input.teamId);
        teams = new Set(await access.teamIdsFor(ctx.actor));
      } catch (error) {
        await stream.return!();
        throw error;
      }
      const senders = new Map<string, string>();
      for await (const event of stream) {
        if (event.type === 'teams.changed' || event.type === 'members.changed' || event.type === 'access.revoked') {
          const stillMember = await access.requireMembership(ctx.actor.orgId, ctx.actor.userId).then(() => true, () => false);
          teams = stillMember ? new Set(await access.teamIdsFor(ctx.actor)) : new Set();
          if (!stillMember || (input.teamId && !teams.has(input.teamId))) {
            yield { type: 'access.revoked' as const };
            return;
          }
          continue;
        }
        // Events may have been missed (the instance's event channel dropped): the client re-reads.
        if (event.type === 'resync') {
          yield event;
          continue;
        }
        if (!isConversationEvent(event) || !teams.has(event.teamId)) continue;
        if (input.teamId && event.teamId !== input.teamId) continue;
        yield await conversations.liveView(event, senders);
      }
    }),
  });
}
