import { teamNameSchema } from '@caretext/shared';
import { z } from 'zod';
import { adminProcedure, orgProcedure, router } from '../trpc/trpc.js';
import type { TeamsService } from './teams.service.js';

const id = z.string().min(1).max(64);

export function teamsRouter(teams: TeamsService) {
  return router({
    list: orgProcedure.query(({ ctx }) => teams.list(ctx.actor)),
    create: adminProcedure.input(z.object({ name: teamNameSchema })).mutation(({ ctx, input }) => teams.create(ctx.actor, input.name)),
    rename: adminProcedure.input(z.object({ teamId: id, name: teamNameSchema })).mutation(({ ctx, input }) => teams.rename(ctx.actor, input.teamId, input.name)),
    delete: adminProcedure.input(z.object({ teamId: id })).mutation(({ ctx, input }) => teams.delete(ctx.actor, input.teamId)),
    addMember: adminProcedure.input(z.object({ teamId: id, userId: id })).mutation(({ ctx, input }) => teams.addMember(ctx.actor, input.teamId, input.userId)),
    removeMember: adminProcedure.input(z.object({ teamId: id, userId: id })).mutation(({ ctx, input }) => teams.removeMember(ctx.actor, input.teamId, input.userId)),
  });
}
