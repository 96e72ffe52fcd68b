import { z } from 'zod';
import { orgProcedure, router, teamProcedure } from '../trpc/trpc.js';
import { type BlastsService, MAX_ADDED_RECIPIENTS, MAX_COHORTS, MAX_SELECTED_PATIENTS, RECIPIENT_FILTERS, RECIPIENTS_PAGE_MAX } from './blasts.service.js';
import { MAX_BODY } from '../messages/messaging.service.js';
import type { BlastImagesService } from './blast-images.js';

const id = z.string().min(1).max(64);
/**
 * Cohorts, or patients picked by hand (Bulk Text, the wizard's ?patients=): exactly one of the
 * two, checked by the service (BAD_REQUEST with a sentence a person can act on).
 */
const patientIds = z.array(id).min(1).max(MAX_SELECTED_PATIENTS);
/** MMS: the wizard's uploaded images (the service refuses more than 3, or another org's). */
const imageIds = z.array(id).max(10).optional();
const audience = { cohortIds: z.array(id).max(MAX_COHORTS).optional(), patientIds: patientIds.optional(), marketing: z.boolean().default(false) };

/** Previewing and sending: members of the team owning the number (teamProcedure). Reading: members of the blast's team. */
export function blastsRouter(blasts: BlastsService, images: BlastImagesService) {
  return router({
    preview: teamProcedure.input(z.object(audience)).query(({ ctx, input }) => blasts.preview(ctx.actor, ctx.org, ctx.scope.team, input)),
    send: teamProcedure
      .input(
        z.object({
          ...audience,
          name: z.string().max(200).optional(),
          body: z.string().min(1).max(MAX_BODY),
          idempotencyKey: z.string().min(8).max(100),
          confirmPhi: z.boolean().optional(),
          /** A local date and time in the org's time zone, e.g. 2026-05-04T09:30. */
          scheduledAt: z.string().max(16).optional(),
          /** Spread the blast: at most this many messages a day. */
          perDay: z.number().int().min(1).max(1_000_000).optional(),
          imageIds,
        }),
      )
      .mutation(({ ctx, input }) => blasts.send(ctx.actor, ctx.org, ctx.scope.team, input)),
    cancel: orgProcedure.input(z.object({ blastId: id })).mutation(({ ctx, input }) => blasts.cancel(ctx.actor, input.blastId)),
    /** Send Test to Me: members of the number's team, to their own phone (rate-limited, audited). */
    sendTest: teamProcedure
      .input(z.object({ ...audience, body: z.string().min(1).max(MAX_BODY), patientId: id.optional(), confirmPhi: z.boolean().optional(), imageIds }))
      .mutation(({ ctx, input }) => blasts.sendTest(ctx.actor, ctx.org, ctx.scope.team, input)),
    /** The wizard's "N selected patients": this org's patients among the ids, with the first names (audited). */
    selection: orgProcedure.input(z.object({ patientIds })).query(({ ctx, input }) => blasts.selection(ctx.actor, input.patientIds)),
    /** The org's blast images by id with fresh links (the wizard's thumbnails, a Duplicate's images). */
    images: orgProcedure.input(z.object({ imageIds: z.array(id).max(10) })).query(({ ctx, input }) => images.list(ctx.actor, input.imageIds)),
    list: orgProcedure.query(({ ctx }) => blasts.list(ctx.actor)),
    get: orgProcedure.input(z.object({ blastId: id })).query(({ ctx, input }) => blasts.get(ctx.actor, input.blastId)),
    recipients: orgProcedure
      .input(z.object({ blastId: id, status: z.enum(RECIPIENT_FILTERS).optional(), limit: z.number().int().min(1).max(RECIPIENTS_PAGE_MAX).default(100), offset: z.number().int().min(0).max(10_000_000).default(0) }))
      .query(({ ctx, input }) => blasts.recipients(ctx.actor, input)),
    retryFailed: orgProcedure.input(z.object({ blastId: id })).mutation(({ ctx, input }) => blasts.retryFailed(ctx.actor, ctx.org, input.blastId)),
    addRecipients: orgProcedure
      .input(z.object({ blastId: id, patientIds: z.array(id).min(1).max(MAX_ADDED_RECIPIENTS) }))
      .mutation(({ ctx, input }) => blasts.addRecipients(ctx.actor, ctx.org, input)),
  });
}
