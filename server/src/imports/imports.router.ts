import { z } from 'zod';
import { orgProcedure, router } from '../trpc/trpc.js';
import type { ImportsService } from './imports.service.js';

const id = z.string().min(1).max(64);

/** Upload is plain HTTP (POST /api/imports/patients); everything after it is here. */
export function importsRouter(imports: ImportsService) {
  return router({
    list: orgProcedure.query(({ ctx }) => imports.list(ctx.actor)),
    get: orgProcedure.input(z.object({ jobId: id })).query(({ ctx, input }) => imports.get(ctx.actor, input.jobId)),
    issues: orgProcedure
      .input(z.object({ jobId: id, severity: z.enum(['error', 'warning']).optional(), page: z.number().int().min(1).default(1), pageSize: z.number().int().min(1).max(200).default(50) }))
      .query(({ ctx, input }) => imports.issues(ctx.actor, input.jobId, input)),
    confirm: orgProcedure.input(z.object({ jobId: id })).mutation(({ ctx, input }) => imports.confirm(ctx.actor, input.jobId)),
    cancel: orgProcedure.input(z.object({ jobId: id })).mutation(({ ctx, input }) => imports.cancel(ctx.actor, input.jobId)),
  });
}
