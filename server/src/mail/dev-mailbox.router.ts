import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import type { Database } from '../db/database.js';
import { publicProcedure, router } from '../trpc/trpc.js';

/**
 * Demo mode only (no SMTP_URL): what the embedded sink caught. Open without signing in so an
 * invitee without an account can follow their invite link; it does not exist in production.
 */
export function devMailboxRouter(db: Database, enabled: () => boolean) {
  const guard = () => {
    if (!enabled()) throw new TRPCError({ code: 'NOT_FOUND', message: 'The dev mailbox exists only when no SMTP_URL is configured.' });
  };
  return router({
    enabled: publicProcedure.query(() => enabled()),
    list: publicProcedure.input(z.object({ limit: z.number().int().min(1).max(200).default(50) }).default({ limit: 50 })).query(async ({ input }) => {
      guard();
      return db.prisma.devMail.findMany({ orderBy: { createdAt: 'desc' }, take: input.limit });
    }),
    clear: publicProcedure.mutation(async () => {
      guard();
      await db.prisma.devMail.deleteMany({});
      return { ok: true };
    }),
  });
}
