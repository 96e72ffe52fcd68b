import { filterDateSchema } from '@caretext/shared';
import { z } from 'zod';
import { adminProcedure, router } from '../trpc/trpc.js';
import { AUDIT_ACTIONS, type AuditService } from './audit.service.js';

export function auditRouter(audit: AuditService) {
  return router({
    list: adminProcedure
      .input(
        z.object({
          action: z.string().max(64).optional(),
          actorId: z.string().max(64).optional(),
          // Dates, not text: z.coerce.date() turned "2023-02-30" into March 2 without a word.
          from: filterDateSchema.optional(),
          to: filterDateSchema.optional(),
          cursor: z.string().max(64).optional(),
          limit: z.number().int().min(1).max(200).default(50),
        })
        .refine((v) => !v.from || !v.to || v.from <= v.to, { message: 'The start date is after the end date.', path: ['from'] }),
      )
      .query(({ ctx, input }) => audit.list(ctx.actor, input)),
    actions: adminProcedure.query(() => Object.entries(AUDIT_ACTIONS).map(([id, label]) => ({ id, label }))),
  });
}
