import { Inject, Injectable } from '@nestjs/common';
import { describePhi, detectPhi, isQuietTime, nextSendTime, renderTemplate, smsSegments } from '@caretext/shared';
import { TRPCError } from '@trpc/server';
import { AccessService, type Actor } from '../access/access.service.js';
import { AuditService } from '../audit/audit.service.js';
import type { Database } from '../db/database.js';
import { EventBus } from '../events/event-bus.js';
import type { Message } from '../generated/prisma/client.js';
import { releasedReason } from '../numbers/released.js';
import { CLOCK, type Clock, DATABASE } from '../tokens.js';
import { refuse } from './send-blocked.js';
import { SendWorker } from './send-worker.js';
import { SmsEligibility } from './sms-eligibility.js';

export type SendInput = {
  conversationId: string;
  body: string;
  /** The client's key for this send: retries (double clicks, the extension's offline outbox) return the first message. */
  idempotencyKey?: string;
  requestsConfirmation?: boolean;
  /** The sender saw the PHI warning and sends as plain SMS anyway. */
  confirmPhi?: boolean;
  /** Outside quiet hours a manual send asks first: send now anyway, or hold until the window opens. */
  quietHours?: 'send_now' | 'schedule';
};

export const MAX_BODY = 1600;

@Injectable()
export class MessagingService {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly access: AccessService,
    private readonly audit: AuditService,
    private readonly eligibility: SmsEligibility,
    private readonly events: EventBus,
    private readonly worker: SendWorker,
  ) {}

  /**
   * The new-conversation dialog: Secure Chat and SMS are both offered only when exactly one
   * patient is selected and the sending team has a number; otherwise it says what is missing.
   */
  async availability(actor: Actor, input: { teamId: string; patientIds: string[] }) {
    const team = await this.access.requireTeamMember(actor, input.teamId);
    const patients = await this.db.prisma.patient.findMany({ where: { orgId: actor.orgId, id: { in: input.patientIds } } });
    if (patients.length !== new Set(input.patientIds).size) throw new TRPCError({ code: 'NOT_FOUND', message: 'Patient not found.' });
    const org = await this.db.prisma.org.findUniqueOrThrow({ where: { id: actor.orgId } });
    const number = await this.eligibility.teamNumber(actor.orgId, team.id);
    let sms: { available: boolean; reason: string | null };
    if (patients.length !== 1) {
      sms = { available: false, reason: patients.length === 0 ? 'Select a patient to send SMS.' : 'SMS goes to one patient at a time: select exactly one patient.' };
    } else if (!number) {
      sms = { available: false, reason: `The team ${team.name} has no phone number. An admin can assign one under Directory → Phone numbers.` };
    } else {
      const blocker = this.eligibility.orgBlocker(org) ?? (await this.eligibility.patientBlocker(patients[0]!, number));
      sms = { available: !blocker, reason: blocker?.message ?? null };
    }
    return {
      secure: { available: false, reason: 'Secure Chat is coming soon; until then SMS is the channel that sends.' },
      sms,
      number: number ? { id: number.id, e164: number.e164 } : null,
    };
  }

  /** Opens (or finds) the SMS conversation between the team's number and the patient. */
  async startSms(actor: Actor, input: { teamId: string; patientId: string }) {
    const team = await this.access.requireTeamMember(actor, input.teamId);
    const patient = await this.db.prisma.patient.findFirst({ where: { id: input.patientId, orgId: actor.orgId } });
    if (!patient) throw new TRPCError({ code: 'NOT_FOUND', message: 'Patient not found.' });
    const number = await this.eligibility.teamNumber(actor.orgId, team.id);
    if (!number) throw refuse('no_number', `The team ${team.name} has no phone number. An admin can assign one under Directory → Phone numbers.`);
    const conversation = await this.db.prisma.conversation.upsert({
      where: { phoneNumberId_patientId_kind: { phoneNumberId: number.id, patientId: patient.id, kind: 'sms' } },
      create: { orgId: actor.orgId, teamId: team.id, kind: 'sms', phoneNumberId: number.id, patientId: patient.id, lastMessageAt: this.clock.now() },
      update: {},
    });
    return { conversationId: conversation.id };
  }

  async send(actor: Actor, input: SendInput): Promise<{ duplicate: boolean; message: Message }> {
    // Who may send here comes first: an idempotency key is looked up only within a conversation
    // the caller may use, and only among their own sends, so a key seen elsewhere (another org,
    // another conversation, another person) neither reveals that message nor blocks this one.
    const conversation = await this.db.prisma.conversation.findFirst({ where: { id: input.conversationId, orgId: actor.orgId } });
    if (!conversation) throw new TRPCError({ code: 'NOT_FOUND', message: 'Conversation not found.' });
    await this.access.requireTeamMember(actor, conversation.teamId);
    const sendKey = input.idempotencyKey ? { orgId: actor.orgId, conversationId: conversation.id, senderId: actor.userId, idempotencyKey: input.idempotencyKey } : null;
    if (sendKey) {
      const existing = await this.db.prisma.message.findUnique({ where: { sendKey } });
      if (existing) return { duplicate: true, message: existing };
    }
    if (conversation.kind !== 'sms' || !conversation.phoneNumberId || !conversation.patientId) {
      throw refuse('not_sms', 'Only SMS conversations can send for now.');
    }
    const [org, number, patient] = await Promise.all([
      this.db.prisma.org.findUniqueOrThrow({ where: { id: actor.orgId } }),
      this.db.prisma.phoneNumber.findUniqueOrThrow({ where: { id: conversation.phoneNumberId } }),
      this.db.prisma.patient.findUniqueOrThrow({ where: { id: conversation.patientId } }),
    ]);
    // The conversation's own number row, still this org's and still active: a released number
    // may belong to someone else by now, and nothing of this conversation may go out from it.
    if (number.status !== 'active' || number.orgId !== actor.orgId) throw refuse('number_released', releasedReason(number.e164, number.releasedAt));
    const blocker = this.eligibility.orgBlocker(org) ?? (await this.eligibility.patientBlocker(patient, number));
    if (blocker) throw refuse(blocker.reason, blocker.message);

    const body = renderTemplate(input.body, {
      patient: {
        id: patient.id,
        firstName: patient.firstName ?? undefined,
        lastName: patient.lastName ?? undefined,
        preferredName: patient.preferredName ?? undefined,
        dob: patient.dob ?? undefined,
        phone: patient.phone ?? undefined,
        email: patient.email ?? undefined,
      },
      org: { name: org.name },
    }).trim();
    if (!body) throw refuse('empty', 'Write a message first.');
    if (body.length > MAX_BODY) throw new TRPCError({ code: 'BAD_REQUEST', message: `The message is ${body.length} characters; the limit is ${MAX_BODY}.` });
    const phi = detectPhi(body);
    if (phi.length && !input.confirmPhi) throw refuse('phi', describePhi(phi), { findings: phi });
    // Sent past the PHI guard: the audit log says who and which kinds of PHI were flagged (the
    // pattern names only, never the text).
    const phiOverride = phi.length ? [...new Set(phi.map((f) => f.kind))] : null;

    const now = this.clock.now();
    let sendAfter: Date | null = null;
    const quiet = { start: org.quietHoursStart, end: org.quietHoursEnd, timeZone: patient.timeZone ?? org.timeZone };
    if (org.quietHoursEnabled && isQuietTime(now, quiet)) {
      if (!input.quietHours) {
        throw refuse('quiet_hours', `It is quiet hours for this patient (${quiet.start}–${quiet.end}, ${quiet.timeZone}). Send now anyway, or schedule it for when quiet hours end?`, {
          nextSendTime: nextSendTime(now, quiet).toISOString(),
        });
      }
      if (input.quietHours === 'schedule') sendAfter = nextSendTime(now, quiet);
    }

    const segments = smsSegments(body);
    let message: Message;
    try {
      message = await this.db.prisma.$transaction(async (tx) => {
        const created = await tx.message.create({
          data: {
            orgId: actor.orgId,
            conversationId: conversation.id,
            direction: 'outbound',
            channel: 'sms',
            body,
            status: 'queued',
            statusRank: 0,
            fromNumber: number.e164,
            toNumber: patient.phone,
            senderId: actor.userId,
            idempotencyKey: input.idempotencyKey,
            segments: segments.segments,
            encoding: segments.encoding,
            sendAfter,
            requestsConfirmation: input.requestsConfirmation ?? false,
            createdAt: now,
          },
        });
        await tx.conversation.update({ where: { id: conversation.id }, data: { lastMessageAt: now, lastMessagePreview: body.slice(0, 140) } });
        if (phiOverride) {
          await this.audit.record(
            actor,
            { action: 'message.phi_override', summary: `Sent a plain SMS past the PHI warning (flagged: ${phiOverride.join(', ')})`, targetType: 'message', targetId: created.id, data: { patterns: phiOverride, conversationId: conversation.id } },
            tx,
          );
        }
        return created;
      });
    } catch (error) {
      // Two concurrent sends with the same key: the loser returns the winner's message.
      if (sendKey && (error as { code?: string }).code === 'P2002') {
        const existing = await this.db.prisma.message.findUniqueOrThrow({ where: { sendKey } });
        return { duplicate: true, message: existing };
      }
      throw error;
    }
    this.events.publish(actor.orgId, { type: 'message', teamId: conversation.teamId, conversationId: conversation.id, messageId: message.id });
    this.worker.wake();
    return { duplicate: false, message };
  }
}
