import { Inject, Injectable } from '@nestjs/common';
import { TRPCError } from '@trpc/server';
import type { Actor, ConversationScope } from '../access/access.service.js';
import type { TwilioSimulator } from '../carriers/simulator/twilio-simulator.js';
import type { Database } from '../db/database.js';
import { DevMailState } from '../mail/dev-mail-state.js';
import { DATABASE, SIMULATOR } from '../injection-tokens.js';

/**
 * Demo mode only (no Twilio credentials, demo tools on): fake carrier traffic through the
 * simulator, exactly the path a real patient's text takes. Off unless DevMailState says so
 * (config.ts: demoToolsOn), and never onto another organization's number.
 */
@Injectable()
export class SimulatorService {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(SIMULATOR) private readonly simulator: TwilioSimulator | null,
    private readonly state: DevMailState,
  ) {}

  enabled(): boolean {
    return this.simulator !== null && this.state.simulatorControls;
  }

  /** "Reply as the patient": a signed inbound webhook from the conversation's patient to its number. */
  async replyAsPatient(actor: Actor, { conversation }: ConversationScope, body: string): Promise<{ sid: string }> {
    const simulator = this.requireSimulator();
    if (!conversation.patientId || !conversation.phoneNumberId) throw new TRPCError({ code: 'NOT_FOUND', message: 'Conversation not found.' });
    const [patient, number] = await Promise.all([
      this.db.prisma.patient.findUniqueOrThrow({ where: { id: conversation.patientId } }),
      this.db.prisma.phoneNumber.findUniqueOrThrow({ where: { id: conversation.phoneNumberId } }),
    ]);
    if (!patient.phone) throw new TRPCError({ code: 'BAD_REQUEST', message: 'This patient has no phone number.' });
    // A released number may be another org's now: a "reply" to it would land in their inbox.
    if (number.status !== 'active' || number.orgId !== actor.orgId) throw new TRPCError({ code: 'BAD_REQUEST', message: 'This conversation’s number was released, so the patient cannot reply to it.' });
    const result = await simulator.simulateInbound({ from: patient.phone, to: number.e164, body });
    return { sid: result.sid };
  }

  /** The signed-in control route (http/simulator-controls.ts): any text, but only to one of the org's active numbers. */
  async simulateInbound(actor: Actor, input: { from: string; to: string; body: string; mediaUrls: string[] }) {
    const simulator = this.requireSimulator();
    const number = await this.db.prisma.phoneNumber.findFirst({ where: { e164: input.to, orgId: actor.orgId, status: 'active' } });
    if (!number) throw new TRPCError({ code: 'FORBIDDEN', message: 'That number is not one of your organization’s numbers.' });
    return simulator.simulateInbound(input);
  }

  private requireSimulator(): TwilioSimulator {
    if (!this.simulator || !this.enabled()) throw new TRPCError({ code: 'NOT_FOUND', message: 'Replying as the patient exists only with the simulated carrier and demo tools on (DEMO_TOOLS).' });
    return this.simulator;
  }
}
