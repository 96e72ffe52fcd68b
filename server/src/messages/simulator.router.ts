import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import type { AccessService } from '../access/access.service.js';
import type { TwilioSimulator } from '../carriers/simulator/twilio-simulator.js';
import type { Database } from '../db/database.js';
import { orgProcedure, publicProcedure, router } from '../trpc/trpc.js';

/**
 * Demo mode only (no Twilio credentials, demo tools on): "reply as the patient" sends a signed
 * inbound webhook through the simulator, exactly the path a real patient's text takes. It fakes
 * carrier traffic, so it is a demo tool (config.ts: demoToolsOn): off unless `controls()` says so.
 */
export function simulatorRouter(db: Database, access: AccessService, simulator: TwilioSimulator | null, controls: () => boolean = () => simulator !== null) {
  return router({
    enabled: publicProcedure.query(() => simulator !== null && controls()),
    replyAsPatient: orgProcedure
      .input(z.object({ conversationId: z.string().min(1).max(64), body: z.string().trim().min(1).max(1600) }))
      .mutation(async ({ ctx, input }) => {
        if (!simulator || !controls()) throw new TRPCError({ code: 'NOT_FOUND', message: 'Replying as the patient exists only with the simulated carrier and demo tools on (DEMO_TOOLS).' });
        const conversation = await db.prisma.conversation.findFirst({ where: { id: input.conversationId, orgId: ctx.actor.orgId } });
        if (!conversation?.patientId || !conversation.phoneNumberId) throw new TRPCError({ code: 'NOT_FOUND', message: 'Conversation not found.' });
        await access.requireTeamMember(ctx.actor, conversation.teamId);
        const [patient, number] = await Promise.all([
          db.prisma.patient.findUniqueOrThrow({ where: { id: conversation.patientId } }),
          db.prisma.phoneNumber.findUniqueOrThrow({ where: { id: conversation.phoneNumberId } }),
        ]);
        if (!patient.phone) throw new TRPCError({ code: 'BAD_REQUEST', message: 'This patient has no phone number.' });
        // A released number may be another org's now: a "reply" to it would land in their inbox.
        if (number.status !== 'active' || number.orgId !== ctx.actor.orgId) throw new TRPCError({ code: 'BAD_REQUEST', message: 'This conversation’s number was released, so the patient cannot reply to it.' });
        const result = await simulator.simulateInbound({ from: patient.phone, to: number.e164, body: input.body });
        return { sid: result.sid };
      }),
  });
}
