import { z } from 'zod';
import { DEV_MAIL_GRANT_COOKIE, readCookie } from '../trpc/context.js';
import { authedProcedure, publicProcedure, router } from '../trpc/trpc.js';
import type { DevMailboxService } from './dev-mailbox.service.js';

/** The Dev mailbox (demo mode only): who reads which mail is DevMailboxService's. */
export function devMailboxRouter(mailbox: DevMailboxService) {
  return router({
    enabled: publicProcedure.query(() => mailbox.enabled()),
    list: publicProcedure
      .input(z.object({ limit: z.number().int().min(1).max(200).default(50) }).default({ limit: 50 }))
      .query(({ ctx, input }) => mailbox.list(ctx.auth, ctx.req ? readCookie(ctx.req, DEV_MAIL_GRANT_COOKIE) : null, input.limit)),
    clear: authedProcedure.mutation(({ ctx }) => mailbox.clear(ctx.auth)),
  });
}
