import { z } from 'zod';
import { conversationProcedure, publicProcedure, router } from '../trpc/trpc.js';
import type { SimulatorService } from './simulator.service.js';

/** Demo tools (SimulatorService): "reply as the patient" fakes carrier traffic, so it is off unless demo tools are on. */
export function simulatorRouter(simulator: SimulatorService) {
  return router({
    enabled: publicProcedure.query(() => simulator.enabled()),
    replyAsPatient: conversationProcedure
      .input(z.object({ body: z.string().trim().min(1).max(1600) }))
      .mutation(({ ctx, input }) => simulator.replyAsPatient(ctx.actor, ctx.scope, input.body)),
  });
}
