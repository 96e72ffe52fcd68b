import { z } from 'zod';
import type { AccessService } from '../access/access.service.js';
import type { EventBus } from '../events/event-bus.js';
import type { MessagingService } from '../messages/messaging.service.js';
import { orgProcedure, router } from '../trpc/trpc.js';
import type { ConversationsService } from './conversations.service.js';

const id = z.string().min(1).max(64);

export function conversationsRouter(conversations: ConversationsService, messaging: MessagingService, access: AccessService, events: EventBus) {
  return router({
    list: orgProcedure
      .input(z.object({ teamId: id.optional(), cursor: id.optional(), limit: z.number().int().min(1).max(100).default(30) }).default({ limit: 30 }))
      .query(({ ctx, input }) => conversations.list(ctx.actor, input)),
    get: orgProcedure.input(z.object({ conversationId: id })).query(({ ctx, input }) => conversations.get(ctx.actor, input.conversationId)),
    markRead: orgProcedure.input(z.object({ conversationId: id })).mutation(({ ctx, input }) => conversations.markRead(ctx.actor, input.conversationId)),
    forPatient: orgProcedure.input(z.object({ patientId: id })).query(({ ctx, input }) => conversations.forPatient(ctx.actor, input.patientId)),
    availability: orgProcedure
      .input(z.object({ teamId: id, patientIds: z.array(id).max(50) }))
      .query(({ ctx, input }) => messaging.availability(ctx.actor, input)),
    startSms: orgProcedure.input(z.object({ teamId: id, patientId: id })).mutation(({ ctx, input }) => messaging.startSms(ctx.actor, input)),
    send: orgProcedure
      .input(
        z.object({
          conversationId: id,
          body: z.string().max(5000),
          idempotencyKey: z.string().min(8).max(100).optional(),
          requestsConfirmation: z.boolean().optional(),
          confirmPhi: z.boolean().optional(),
          quietHours: z.enum(['send_now', 'schedule']).optional(),
        }),
      )
      .mutation(async ({ ctx, input }) => {
        const { duplicate, message } = await messaging.send(ctx.actor, input);
        return { duplicate, messageId: message.id, status: message.status, sendAfter: message.sendAfter };
      }),
    /**
     * Live inbox: new messages and status changes for the caller's teams (or one team). Team
     * membership is re-read when teams change, so a removed member stops receiving at once,
     * and a subscription to a single team ends with `access.revoked`.
     */
    events: orgProcedure.input(z.object({ teamId: id.optional() }).default({})).subscription(async function* ({ ctx, input, signal }) {
      if (input.teamId) await access.requireTeamMember(ctx.actor, input.teamId);
      let teams = new Set(await access.teamIdsFor(ctx.actor));
      for await (const event of events.subscribe(ctx.actor.orgId, signal)) {
        if (event.type === 'teams.changed' || event.type === 'members.changed' || event.type === 'access.revoked') {
          const stillMember = await access.requireMembership(ctx.actor.orgId, ctx.actor.userId).then(() => true, () => false);
          teams = stillMember ? new Set(await access.teamIdsFor(ctx.actor)) : new Set();
          if (!stillMember || (input.teamId && !teams.has(input.teamId))) {
            yield { type: 'access.revoked' as const };
            return;
          }
          continue;
        }
        if (event.type !== 'message' || !teams.has(event.teamId)) continue;
        if (input.teamId && event.teamId !== input.teamId) continue;
        yield { type: 'message' as const, conversationId: event.conversationId, messageId: event.messageId };
      }
    }),
  });
}
