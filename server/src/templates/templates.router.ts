import { z } from 'zod';
import { orgProcedure, router } from '../trpc/trpc.js';
import type { TemplatesService } from './templates.service.js';

const id = z.string().min(1).max(64);

export function templatesRouter(templates: TemplatesService) {
  return router({
    list: orgProcedure.input(z.object({ teamId: id.optional() }).default({})).query(({ ctx, input }) => templates.list(ctx.actor, input.teamId)),
    save: orgProcedure
      .input(
        z.object({
          templateId: id.optional(),
          teamId: id.nullable(),
          name: z.string().trim().min(1).max(80),
          body: z.string().trim().min(1).max(1600),
          /** Messages from it ask the patient to confirm (the composer ticks its box). Not sent: unchanged (false for a new one). */
          requestsConfirmation: z.boolean().optional(),
        }),
      )
      .mutation(({ ctx, input }) => templates.save(ctx.actor, input)),
    delete: orgProcedure.input(z.object({ templateId: id })).mutation(({ ctx, input }) => templates.delete(ctx.actor, input.templateId)),
  });
}
