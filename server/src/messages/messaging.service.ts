import { Inject, Injectable } from '@nestjs/common';
import { describePhi, detectPhi, isQuietTime, nextSendTime, renderTemplate, type SendMessageInput, smsSegments, withConfirmationRequest } from '@caretext/shared';
import type { BlockReason, SecureNotification } from '@caretext/shared';
import { TRPCError } from '@trpc/server';
import { AccessService, type Actor } from '../access/access.service.js';
import { AuditService } from '../audit/audit.service.js';
import type { Database } from '../db/database.js';
import { EventBus } from '../events/event-bus.js';
import type { Conversation, Message } from '../generated/prisma/client.js';
import { releasedReason } from '../numbers/released.js';
import { DATABASE } from '../injection-tokens.js';
import { CLOCK, type Clock } from '../clock.js';
import { lastMessage, messageCreated } from './message-events.js';
import { refuse } from './send-blocked.js';
import { SendWorker } from './send-worker.js';
import { SmsEligibility } from './sms-eligibility.js';
import { SecureChatService } from '../portal/secure-chat.service.js';

/** `conversations.send` (shared/src/send-input.ts): by conversation, or by patient and team. */
export type SendInput = SendMessageInput;

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
    private readonly secure: SecureChatService,
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
    let sms: { available: boolean; reason: string | null; blockedBy: BlockReason | null };
    if (patients.length !== 1) {
      sms = { available: false, reason: patients.length === 0 ? 'Select a patient to send SMS.' : 'SMS goes to one patient at a time: select exactly one patient.', blockedBy: null };
    } else if (!number) {
      sms = { available: false, reason: `The team ${team.name} has no phone number. An admin can assign one under Directory → Phone numbers.`, blockedBy: 'no_number' };
    } else {
      const blocker = this.eligibility.orgBlocker(org) ?? (await this.eligibility.patientBlocker(patients[0]!, number));
      sms = { available: !blocker, reason: blocker?.message ?? null, blockedBy: blocker?.reason ?? null };
    }
    return {
      // Secure Chat needs no number and no SMS eligibility: the caller is on the team (checked
      // above) and the patient is of this org; the portal link goes by SMS or email when sent.
      secure:
        patients.length === 1
          ? { available: true, reason: null }
          : { available: false, reason: patients.length === 0 ? 'Select a patient to send Secure Chat.' : 'Secure Chat goes to one patient at a time: select exactly one patient.' },
      sms,
      number: number ? { id: number.id, e164: number.e164 } : null,
      /** The words a confirmation request asks for (the composer shows and counts the text it adds). */
      confirmationWords: { confirm: org.confirmKeywords, decline: org.declineKeywords },
    };
  }

  /** Opens (or finds) the SMS conversation between the team's number and the patient. */
  async startSms(actor: Actor, input: { teamId: string; patientId: string }) {
    const { team, patient } = await this.teamAndPatient(actor, input);
    const conversation = await this.smsConversation(actor, team, patient);
    return { conversationId: conversation.id };
  }

  /**
   * `conversations.startSecure`: opens (or finds) the team's one thread with the patient for
   * Secure Chat (no number needed), from the new-conversation dialog
   * without sending anything yet (a patient without a date of birth is refused at the first send,
   * which says so; the dialog warns before).
   */
  async startSecure(actor: Actor, input: { teamId: string; patientId: string }) {
    const { team, patient } = await this.teamAndPatient(actor, input);
    return { conversationId: (await this.secure.patientConversation(actor.orgId, team.id, patient.id)).id };
  }

  /** A team of the caller's and a patient of this org, or NOT_FOUND/FORBIDDEN. */
  private async teamAndPatient(actor: Actor, input: { teamId: string; patientId: string }) {
    const team = await this.access.requireTeamMember(actor, input.teamId);
    const patient = await this.db.prisma.patient.findFirst({ where: { id: input.patientId, orgId: actor.orgId } });
    if (!patient) throw new TRPCError({ code: 'NOT_FOUND', message: 'Patient not found.' });
    return { team, patient };
  }

  /** Finds or creates the SMS conversation between the team's number and the patient (both checked by the caller). */
  private async smsConversation(actor: Actor, team: { id: string; name: string }, patient: { id: string }): Promise<Conversation> {
    const number = await this.eligibility.teamNumber(actor.orgId, team.id);
    if (!number) throw refuse('no_number', `The team ${team.name} has no phone number. An admin can assign one under Directory → Phone numbers.`);
    const where = { phoneNumberId_patientId_kind: { phoneNumberId: number.id, patientId: patient.id, kind: 'sms' } };
    try {
      return await this.db.prisma.conversation.upsert({
        where,
        create: { orgId: actor.orgId, teamId: team.id, kind: 'sms', phoneNumberId: number.id, patientId: patient.id, lastMessageAt: this.clock.now() },
        update: {},
      });
    } catch (error) {
      // Two first sends at once (a double click, the outbox's retry): the loser uses the winner's conversation.
      if ((error as { code?: string }).code === 'P2002') return this.db.prisma.conversation.findUniqueOrThrow({ where });
      throw error;
    }
  }

  /** A conversation named by id: this org's, and on a team of the caller. */
  private async namedConversation(actor: Actor, conversationId: string): Promise<Conversation> {
    const conversation = await this.db.prisma.conversation.findFirst({ where: { id: conversationId, orgId: actor.orgId } });
    if (!conversation) throw new TRPCError({ code: 'NOT_FOUND', message: 'Conversation not found.' });
    await this.access.requireTeamMember(actor, conversation.teamId);
    return conversation;
  }

  async send(actor: Actor, input: SendInput): Promise<{ duplicate: boolean; message: Message; notification?: SecureNotification }> {
    // Secure Chat has its own rules (no number or opt-in needed; the patient gets a portal link).
    if (input.channel === 'secure') return this.secure.send(actor, input);
    // A file never travels by SMS (it would reach the phone as a public media link, for good).
    if (input.attachmentIds?.length) {
      throw new TRPCError({ code: 'BAD_REQUEST', message: 'Files can only be sent by Secure Chat: choose Secure Chat, or remove the files to send a text.' });
    }
    // Who may send here comes first: an idempotency key is looked up only within a conversation
    // the caller may use, and only among their own sends, so a key seen elsewhere (another org,
    // another conversation, another person) neither reveals that message nor blocks this one.
    let conversation: Conversation;
    if (input.conversationId) conversation = await this.namedConversation(actor, input.conversationId);
    else {
      const { team, patient } = await this.teamAndPatient(actor, { teamId: input.teamId ?? '', patientId: input.patientId ?? '' });
      // A retry by patient finds its first message before any conversation is opened, even if
      // the team's number changed in between: a retry never starts a second conversation.
      if (input.idempotencyKey) {
        const earlier = await this.db.prisma.message.findFirst({
          where: { orgId: actor.orgId, senderId: actor.userId, idempotencyKey: input.idempotencyKey, conversation: { patientId: patient.id, teamId: team.id } },
        });
        if (earlier) return { duplicate: true, message: earlier };
      }
      conversation = await this.smsConversation(actor, team, patient);
    }
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

    const rendered = renderTemplate(input.body, {
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
    // The request names the org's own words, so the reply is one the server recognises.
    const body = input.requestsConfirmation && rendered ? withConfirmationRequest(rendered, { confirm: org.confirmKeywords, decline: org.declineKeywords }) : rendered;
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
    this.events.publish(actor.orgId, messageCreated(message, conversation, lastMessage(message)));
    this.worker.wake();
    return { duplicate: false, message };
  }
}

