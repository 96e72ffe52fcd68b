import { cohortFilterSchema, cohortNameSchema } from '@caretext/shared';
import { z } from 'zod';
import { adminProcedure, orgProcedure, router } from '../trpc/trpc.js';
import { type CohortsService, PREVIEW_LIMIT_MAX } from './cohorts.service.js';

const id = z.string().min(1).max(64);
const cohortInput = z.object({ name: cohortNameSchema, filter: cohortFilterSchema });

/** Reading, counting and previewing: any member. Creating, editing, deleting: admins (see CohortsService). */
export function cohortsRouter(cohorts: CohortsService) {
  return router({
    list: orgProcedure.query(({ ctx }) => cohorts.list(ctx.actor, ctx.org)),
    get: orgProcedure.input(z.object({ cohortId: id })).query(({ ctx, input }) => cohorts.get(ctx.actor, input.cohortId)),
    options: orgProcedure.query(({ ctx }) => cohorts.options(ctx.actor)),
    count: orgProcedure.input(z.object({ filter: cohortFilterSchema })).query(({ ctx, input }) => cohorts.count(ctx.actor, ctx.org, input.filter)),
    preview: orgProcedure
      .input(z.object({ filter: cohortFilterSchema, limit: z.number().int().min(1).max(PREVIEW_LIMIT_MAX).default(10) }))
      .query(({ ctx, input }) => cohorts.preview(ctx.actor, ctx.org, input.filter, input.limit)),
    create: adminProcedure.input(cohortInput).mutation(({ ctx, input }) => cohorts.create(ctx.actor, input)),
    update: adminProcedure.input(cohortInput.extend({ cohortId: id })).mutation(({ ctx, input: { cohortId, ...input } }) => cohorts.update(ctx.actor, cohortId, input)),
    delete: adminProcedure.input(z.object({ cohortId: id })).mutation(({ ctx, input }) => cohorts.delete(ctx.actor, input.cohortId)),
  });
}
