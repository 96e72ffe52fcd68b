import { orgNameSchema, orgPoliciesSchema, orgRepliesSchema, timeZoneSchema } from '@caretext/shared';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { type AccessService, isExternal } from '../access/access.service.js';
import type { AuthService } from '../auth/auth.service.js';
import type { EventBus } from '../events/event-bus.js';
import { adminProcedure, authedProcedure, orgProcedure, router } from '../trpc/trpc.js';
import type { OrgsService } from './orgs.service.js';

export function orgsRouter(orgs: OrgsService, auth: AuthService, access: AccessService, events: EventBus) {
  return router({
    create: authedProcedure
      .input(z.object({ name: orgNameSchema, timeZone: timeZoneSchema.default('America/New_York') }))
      .mutation(async ({ ctx, input }) => {
        const org = await orgs.create(ctx.auth.user.id, input, ctx.ip);
        await auth.setActiveOrg(ctx.auth.session.id, org.id);
        return { id: org.id, name: org.name };
      }),
    /** Switch the session's active organization (the user must belong to it). */
    switch: authedProcedure.input(z.object({ orgId: z.string().min(1).max(64) })).mutation(async ({ ctx, input }) => {
      await access.requireMembership(input.orgId, ctx.auth.user.id).catch(() => {
        throw new TRPCError({ code: 'NOT_FOUND', message: 'Organization not found.' });
      });
      await auth.setActiveOrg(ctx.auth.session.id, input.orgId);
      return { ok: true };
    }),
    current: orgProcedure.query(({ ctx }) => orgs.get(ctx.actor)),
    update: adminProcedure
      .input(z.object({ name: orgNameSchema, timeZone: timeZoneSchema }))
      .mutation(({ ctx, input }) => orgs.update(ctx.actor, input)),
    updatePolicies: adminProcedure.input(orgPoliciesSchema).mutation(({ ctx, input }) => orgs.updatePolicies(ctx.actor, input)),
    replies: orgProcedure.query(({ ctx }) => orgs.replies(ctx.actor)),
    updateReplies: adminProcedure.input(orgRepliesSchema).mutation(({ ctx, input }) => orgs.updateReplies(ctx.actor, input)),
    joinCode: adminProcedure.query(({ ctx }) => orgs.joinCode(ctx.actor)),
    regenerateJoinCode: adminProcedure.mutation(({ ctx }) => orgs.regenerateJoinCode(ctx.actor)),
    requestToJoin: authedProcedure
      .input(z.object({ joinCode: z.string().trim().min(4).max(20), message: z.string().trim().max(500).optional() }))
      .mutation(({ ctx, input }) => orgs.requestToJoin(ctx.auth.user.id, input.joinCode, input.message, ctx.ip)),
    myJoinRequests: authedProcedure.query(({ ctx }) => orgs.myJoinRequests(ctx.auth.user.id)),
    /**
     * Live changes for the active organization. Ends with `access.revoked` for a removed
     * member, and re-checks membership on every event so nothing reaches an ex-member.
     */
    events: orgProcedure.subscription(async function* ({ ctx, signal }) {
      for await (const event of events.subscribe(ctx.actor.orgId, signal)) {
        const stillMember = await access.requireMembership(ctx.actor.orgId, ctx.actor.userId).then(
          () => true,
          () => false,
        );
        if (!stillMember || (event.type === 'access.revoked' && event.userId === ctx.actor.userId)) {
          yield { type: 'access.revoked' as const };
          return;
        }
        // Conversation events are team-scoped (and carry message text): they go out through
        // conversations.events only. Only org-wide kinds pass here, so a new kind stays out until listed.
        // An external collaborator hears only that access ended (above) and resyncs: nothing of the org's running.
        if (isExternal(ctx.actor.role)) {
          if (event.type === 'resync') yield event;
          continue;
        }
        if (event.type === 'members.changed' || event.type === 'teams.changed' || event.type === 'org.changed' || event.type === 'import.progress' || event.type === 'resync') yield event;
      }
    }),
  });
}
