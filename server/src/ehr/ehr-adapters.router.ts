import { EHR_PATIENT_FIELDS, type EhrPatientField } from '@caretext/shared';
import { z } from 'zod';
import { adminProcedure, orgProcedure, router } from '../trpc/trpc.js';
import type { EhrAdaptersService } from './ehr-adapters.service.js';

const selector = z.string().trim().max(300).nullable().optional();
/** Chrome match-pattern style: scheme://host/path with * wildcards. */
const urlPattern = z.string().trim().min(8).max(300).regex(/^(https?|\*):\/\/[^/\s]+\/\S*$/, 'Use a pattern like https://ehr.example.com/patients/*');

const selectors = z.object(Object.fromEntries(EHR_PATIENT_FIELDS.map((f) => [f, selector])) as Record<EhrPatientField, typeof selector>);

export function ehrAdaptersRouter(adapters: EhrAdaptersService) {
  return router({
    list: orgProcedure.query(({ ctx }) => adapters.list(ctx.actor)),
    save: adminProcedure
      .input(
        z.object({
          adapterId: z.string().max(64).optional(),
          name: z.string().trim().min(2).max(80),
          urlPattern,
          selectors,
          /** A list of patients (a schedule): each row's selector, and each field's inside the row. */
          rows: z.object({ row: z.string().trim().min(1).max(300), fields: selectors }).nullable().optional(),
          published: z.boolean(),
        }),
      )
      .mutation(({ ctx, input }) => adapters.save(ctx.actor, input)),
    /** Approved EHR origins: every member's extension syncs them; only admins change them (audited). */
    origins: orgProcedure.query(({ ctx }) => adapters.origins.list(ctx.actor)),
    addOrigin: adminProcedure.input(z.object({ pattern: z.string().trim().min(4).max(300) })).mutation(({ ctx, input }) => adapters.origins.add(ctx.actor, input.pattern)),
    removeOrigin: adminProcedure.input(z.object({ originId: z.string().min(1).max(64) })).mutation(({ ctx, input }) => adapters.origins.remove(ctx.actor, input.originId)),
    delete: adminProcedure.input(z.object({ adapterId: z.string().min(1).max(64) })).mutation(({ ctx, input }) => adapters.delete(ctx.actor, input.adapterId)),
  });
}
