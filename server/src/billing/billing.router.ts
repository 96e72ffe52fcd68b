import { z } from 'zod';
import { adminProcedure, router } from '../trpc/trpc.js';
import type { BillingService } from './billing.service.js';

/** The Plan tab: admins only, enforced here rather than by hiding the tab. */
export function planRouter(billing: BillingService) {
  return router({
    get: adminProcedure.query(({ ctx }) => billing.getPlan(ctx.actor)),
    checkout: adminProcedure.input(z.object({ plan: z.enum(['free', 'sms']) })).mutation(({ ctx, input }) => billing.checkout(ctx.actor, input.plan)),
    cancel: adminProcedure.mutation(({ ctx }) => billing.cancel(ctx.actor)),
  });
}
