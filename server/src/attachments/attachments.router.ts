import { z } from 'zod';
import { orgProcedure, router } from '../trpc/trpc.js';
import type { AttachmentsService } from './attachments.service.js';

const id = z.string().min(1).max(64);

/** Upload and download are plain HTTP (attachments.http.ts); a download needs a fresh signed link from here. */
export function attachmentsRouter(attachments: AttachmentsService) {
  return router({
    link: orgProcedure.input(z.object({ attachmentId: id })).query(({ ctx, input }) => attachments.linkForStaff(ctx.actor, input.attachmentId)),
  });
}
