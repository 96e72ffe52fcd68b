import { emailSchema } from '@caretext/shared';
import { z } from 'zod';
import { adminProcedure, orgProcedure, router } from '../trpc/trpc.js';
import type { NumbersService } from './numbers.service.js';

const id = z.string().min(1).max(64);

export function numbersRouter(numbers: NumbersService) {
  return router({
    list: orgProcedure.query(({ ctx }) => numbers.list(ctx.actor)),
    search: adminProcedure.input(z.object({ areaCode: z.string().trim().regex(/^[2-9]\d{2}$/, 'Enter a 3-digit area code') })).query(({ ctx, input }) => numbers.search(ctx.actor, input.areaCode)),
    buy: adminProcedure
      .input(z.object({ phoneNumber: z.string().min(5).max(20), teamId: id, locality: z.string().max(80).nullish(), region: z.string().max(40).nullish() }))
      .mutation(({ ctx, input }) => numbers.buy(ctx.actor, input)),
    update: adminProcedure
      .input(z.object({ numberId: id, teamId: id.optional(), messagesPerSecond: z.number().int().min(1).max(100).optional() }))
      .mutation(({ ctx, input: { numberId, ...rest } }) => numbers.update(ctx.actor, numberId, rest)),
    release: adminProcedure.input(z.object({ numberId: id })).mutation(({ ctx, input }) => numbers.release(ctx.actor, input.numberId)),
    requestPort: adminProcedure
      .input(
        z.object({
          phoneNumber: z.string().min(5).max(30),
          currentCarrier: z.string().trim().min(2).max(80),
          authorizedName: z.string().trim().min(2).max(100),
          authorizedEmail: emailSchema,
          accountNumber: z.string().trim().max(60).optional(),
          notes: z.string().trim().max(1000).optional(),
        }),
      )
      .mutation(({ ctx, input }) => numbers.requestPort(ctx.actor, input)),
    portRequests: adminProcedure.query(({ ctx }) => numbers.portRequests(ctx.actor)),
  });
}
