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
          from: z.coerce.date().optional(),
          to: z.coerce.date().optional(),
          cursor: z.string().max(64).optional(),
          limit: z.number().int().min(1).max(200).default(50),
        }),
      )
      .query(({ ctx, input }) => audit.list(ctx.actor, input)),
    actions: adminProcedure.query(() => Object.entries(AUDIT_ACTIONS).map(([id, label]) => ({ id, label }))),
  });
}
