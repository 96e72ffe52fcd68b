import { cleanIdentifier, cleanName, EHR_MAX_PAGE_ROWS, timeZoneSchema } from '@caretext/shared';
import { z } from 'zod';
import { orgProcedure, router } from '../trpc/trpc.js';
import type { PatientsService } from './patients.service.js';

const text = (max: number) => z.string().max(max).nullable().optional();
/** Lookup input cleaned the way stored names and MRNs are (see PatientsService.normalize). */
const cleaned = (max: number, clean: (v: string) => string) => text(max).transform((v) => (v == null ? v : clean(v)));

export const patientInputSchema = z.object({
  phone: text(40),
  mrn: text(64),
  firstName: text(100),
  lastName: text(100),
  preferredName: text(100),
  dob: text(20),
  email: text(254),
  tags: z.array(z.string().max(40)).max(30).optional(),
  location: text(120),
  provider: text(120),
  timeZone: timeZoneSchema.nullable().optional(),
  phoneLineType: z.enum(['mobile', 'landline', 'voip', 'unknown']).optional(),
  smsTransactionalOptIn: z.boolean().optional(),
  smsMarketingOptIn: z.boolean().optional(),
  emailMarketingOptIn: z.boolean().optional(),
  optedOut: z.boolean().optional(),
  blocked: z.boolean().optional(),
  emailSuppressed: z.boolean().optional(),
  unsubscribed: z.boolean().optional(),
  consentSource: z.enum(['intake', 'staff']).optional(),
});

const id = z.string().min(1).max(64);

/** What the EHR page shows of one patient, for matching (names and MRNs cleaned like stored ones). */
const matchInputSchema = z.object({ mrn: cleaned(64, cleanIdentifier), phone: text(40), firstName: cleaned(100, cleanName), lastName: cleaned(100, cleanName), dob: text(20) });

/** Patients belong to the organization; every member may look them up (reads are audited). */
export function patientsRouter(patients: PatientsService) {
  return router({
    list: orgProcedure
      .input(z.object({ query: z.string().max(200).optional(), page: z.number().int().min(1).default(1), pageSize: z.number().int().min(1).max(100).default(25) }))
      .query(({ ctx, input }) => patients.list(ctx.actor, input)),
    get: orgProcedure.input(z.object({ patientId: id })).query(({ ctx, input }) => patients.get(ctx.actor, input.patientId)),
    create: orgProcedure.input(patientInputSchema).mutation(({ ctx, input }) => patients.create(ctx.actor, input)),
    update: orgProcedure.input(patientInputSchema.extend({ patientId: id })).mutation(({ ctx, input: { patientId, ...input } }) => patients.update(ctx.actor, patientId, input)),
    match: orgProcedure.input(matchInputSchema).query(({ ctx, input }) => patients.match(ctx.actor, input)),
    /**
     * "Patients on this page" (a schedule in the EHR): each row matched as `match` would,
     * unmatched ones with the reason. A read, but a mutation: 200 rows do not fit in a GET URL.
     */
    matchMany: orgProcedure
      .input(z.object({ rows: z.array(matchInputSchema).min(1).max(EHR_MAX_PAGE_ROWS) }))
      .mutation(({ ctx, input }) => patients.matchMany(ctx.actor, input.rows)),
    findOrCreateByContact: orgProcedure
      .input(z.object({ contact: z.string().trim().min(3).max(254) }))
      .mutation(({ ctx, input }) => patients.findOrCreateByContact(ctx.actor, input.contact)),
  });
}
