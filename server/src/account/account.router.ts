import { z } from 'zod';
import { authedProcedure, router } from '../trpc/trpc.js';
import type { AccountService } from './account.service.js';

/** The caller's own account: every signed-in person, for themselves only (no ids in the input). */
export function accountRouter(account: AccountService) {
  return router({
    get: authedProcedure.query(({ ctx }) => account.get(ctx.auth.user.id)),
    setPhone: authedProcedure.input(z.object({ phone: z.string().max(64) })).mutation(({ ctx, input }) => {
      const orgId = ctx.auth.session.activeOrgId;
      return account.setPhone(ctx.auth.user, orgId ? { orgId, userId: ctx.auth.user.id, ip: ctx.ip } : null, input.phone);
    }),
  });
}
