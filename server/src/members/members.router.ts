import { emailSchema } from '@caretext/shared';
import { z } from 'zod';
import { adminProcedure, orgProcedure, router } from '../trpc/trpc.js';
import type { MembersService } from './members.service.js';

const id = z.string().min(1).max(64);

export function membersRouter(members: MembersService) {
  return router({
    list: orgProcedure.query(({ ctx }) => members.list(ctx.actor)),
    invite: adminProcedure
      .input(z.object({ email: emailSchema, role: z.enum(['admin', 'member']).default('member') }))
      .mutation(({ ctx, input }) => members.invite(ctx.actor, input)),
    invites: adminProcedure.query(({ ctx }) => members.listInvites(ctx.actor)),
    revokeInvite: adminProcedure.input(z.object({ inviteId: id })).mutation(({ ctx, input }) => members.revokeInvite(ctx.actor, input.inviteId)),
    joinRequests: adminProcedure.query(({ ctx }) => members.listJoinRequests(ctx.actor)),
    decideJoinRequest: adminProcedure
      .input(z.object({ requestId: id, decision: z.enum(['approve', 'reject']), role: z.enum(['admin', 'member']).default('member') }))
      .mutation(({ ctx, input }) => members.decideJoinRequest(ctx.actor, input.requestId, input.decision, input.role)),
    changeRole: adminProcedure
      .input(z.object({ membershipId: id, role: z.enum(['owner', 'admin', 'member']) }))
      .mutation(({ ctx, input }) => members.changeRole(ctx.actor, input.membershipId, input.role)),
    remove: adminProcedure.input(z.object({ membershipId: id })).mutation(({ ctx, input }) => members.remove(ctx.actor, input.membershipId)),
    leave: orgProcedure.mutation(({ ctx }) => members.leave(ctx.actor)),
  });
}
