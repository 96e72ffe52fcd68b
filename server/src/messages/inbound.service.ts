import { Inject, Injectable, Logger } from '@nestjs/common';
import { confirmationReply, normalizePhone, optKeyword } from '@caretext/shared';
import { AuditService } from '../audit/audit.service.js';
import type { Database } from '../db/database.js';
import { EventBus } from '../events/event-bus.js';
import type { Conversation, Patient, PhoneNumber, Prisma } from '../generated/prisma/client.js';
import { DATABASE } from '../injection-tokens.js';
import { CLOCK, type Clock } from '../clock.js';
import { lastMessage, MessageEvents, messageCreated } from './message-events.js';
import { SendWorker } from './send-worker.js';

/** An automatic answer to the patient's text: HELP, or the org's acknowledgement of a confirm/decline. */
type AutoReply = { kind: 'help' | 'confirmed' | 'declined'; body: string };

export type InboundSms = { MessageSid: string; From: string; To: string; Body?: string; NumMedia?: string } & Record<string, string>;

/**
 * A patient's text: stored once (retries are no-ops), joined to the conversation for (our
 * number, their phone), with STOP/START/HELP and confirmation replies handled.
 */
@Injectable()
export class InboundService {
  private readonly logger = new Logger('Inbound');

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly audit: AuditService,
    private readonly events: EventBus,
    private readonly messageEvents: MessageEvents,
    private readonly sender: SendWorker,
  ) {}

  async receive(params: InboundSms): Promise<'stored' | 'duplicate' | 'unknown_number'> {
    const seen = await this.db.sql.query(
      `SELECT 1 FROM "CarrierEvent" WHERE carrier = 'twilio' AND kind = 'inbound' AND "messageSid" = $1 AND status = 'received'`,
      [params.MessageSid],
    );
    if (seen.length) return 'duplicate';
    const number = await this.db.prisma.phoneNumber.findFirst({ where: { e164: params.To, status: 'active' } });
    if (!number) {
      await this.record(this.db.prisma, params);
      this.logger.warn(`inbound message ${params.MessageSid} to a number we do not own`);
      return 'unknown_number';
    }
    const from = normalizePhone(params.From) ?? params.From;
    const body = params.Body ?? '';
    const now = this.clock.now();
    const patient = await this.resolvePatient(number, from, now);
    const keyword = optKeyword(body);

    // The callback is recorded in the same transaction as the message it carries: if the
    // database goes away in between, nothing is committed and the carrier's retry stores the
    // text (recorded first, a retry would have been taken for a duplicate and the text lost).
    // Two deliveries at once: the second waits on the first's CarrierEvent row and stops.
    const done = await this.db.prisma.$transaction(async (tx) => {
      if (!(await this.record(tx, params))) return null;
      const conversation = await tx.conversation.upsert({
        where: { phoneNumberId_patientId_kind: { phoneNumberId: number.id, patientId: patient.id, kind: 'sms' } },
        create: { orgId: number.orgId, teamId: number.teamId, kind: 'sms', phoneNumberId: number.id, patientId: patient.id, lastMessageAt: now, lastMessagePreview: body.slice(0, 140), unreadCount: 1 },
        update: { lastMessageAt: now, lastMessagePreview: body.slice(0, 140), unreadCount: { increment: 1 } },
      });
      const optedOut = await tx.smsOptOut.findUnique({ where: { phoneNumberId_phone: { phoneNumberId: number.id, phone: from } } });
      const org = await tx.org.findUniqueOrThrow({ where: { id: number.orgId }, select: { confirmKeywords: true, declineKeywords: true, confirmAckReply: true, declineAckReply: true } });
      // "YES" both confirms and opts back in: while a confirmation is pending and the patient
      // is opted in, it answers the question.
      const answer = confirmationReply(body, { confirm: org.confirmKeywords, decline: org.declineKeywords });
      const settled = answer && !optedOut ? await this.settleRequests(tx, conversation.id, answer, now) : [];
      const pending = settled[0] ?? null;
      const message = await tx.message.create({
        data: {
          orgId: number.orgId,
          conversationId: conversation.id,
          direction: 'inbound',
          channel: Number(params.NumMedia ?? 0) > 0 ? 'mms' : 'sms',
          body,
          mediaUrls: mediaUrls(params),
          status: 'received',
          fromNumber: from,
          toNumber: number.e164,
          carrierSid: params.MessageSid,
          answersMessageId: pending?.id,
          createdAt: now,
        },
      });
      let reply: AutoReply | null = null;
      if (!pending && keyword === 'STOP') await this.optOut(tx, number, patient, from, body.trim().toUpperCase(), now);
      if (!pending && keyword === 'START' && optedOut) await this.optIn(tx, number, patient, from, now);
      if (keyword === 'HELP') reply = { kind: 'help', body: await this.helpText(tx, number.orgId) };
      else if (answer && pending) {
        const ack = (answer === 'confirmed' ? org.confirmAckReply : org.declineAckReply).trim();
        if (ack) reply = { kind: answer, body: ack };
      }
      return { conversation, message, reply };
    });
    if (!done) return 'duplicate';
    const { conversation, message, reply } = done;
    this.events.publish(number.orgId, messageCreated(message, conversation, { ...lastMessage(message), unreadCount: conversation.unreadCount }));
    // Confirmation requests this reply answered (stamped with its arrival time), and the opt-out it made or lifted.
    await this.messageEvents.changed({ conversationId: conversation.id, direction: 'outbound', requestsConfirmation: true, confirmedAt: now });
    if (keyword === 'STOP' || keyword === 'START') await this.messageEvents.optOutChanged(number.orgId, conversation.id);
    if (reply) await this.autoReply(conversation, number, from, reply);
    return 'stored';
  }

  /** Stores the raw callback once (unique per carrier event); false when it was already stored. */
  private async record(db: Prisma.TransactionClient, params: InboundSms): Promise<boolean> {
    const stored = await db.$queryRaw<{ id: string }[]>`
      INSERT INTO "CarrierEvent" (id, carrier, kind, "messageSid", status, payload, "receivedAt")
      VALUES (gen_random_uuid()::text, 'twilio', 'inbound', ${params.MessageSid}, 'received', ${JSON.stringify(params)}::jsonb, ${this.clock.now()})
      ON CONFLICT (carrier, kind, "messageSid", status) DO NOTHING RETURNING id`;
    return stored.length > 0;
  }

  /** Patients on this phone: the one this number last talked to, else the oldest; none -> a new record. */
  private async resolvePatient(number: PhoneNumber, phone: string, now: Date): Promise<Patient> {
    const candidates = await this.db.prisma.patient.findMany({ where: { orgId: number.orgId, phone }, orderBy: { createdAt: 'asc' } });
    if (candidates.length === 1) return candidates[0]!;
    if (candidates.length > 1) {
      const recent = await this.db.prisma.conversation.findFirst({
        where: { phoneNumberId: number.id, patientId: { in: candidates.map((c) => c.id) } },
        orderBy: { lastMessageAt: 'desc' },
      });
      return candidates.find((c) => c.id === recent?.patientId) ?? candidates[0]!;
    }
    return this.db.prisma.patient.create({ data: { orgId: number.orgId, phone, source: 'inbound_sms', phoneLineType: 'mobile', createdAt: now, updatedAt: now } });
  }

  private async optOut(tx: Prisma.TransactionClient, number: PhoneNumber, patient: Patient, phone: string, keyword: string, now: Date) {
    await tx.smsOptOut.upsert({
      where: { phoneNumberId_phone: { phoneNumberId: number.id, phone } },
      create: { orgId: number.orgId, phoneNumberId: number.id, phone, keyword: keyword.replace(/[^A-Z]/g, ''), createdAt: now },
      update: {},
    });
    await tx.consentEvent.create({ data: { orgId: number.orgId, patientId: patient.id, kind: 'sms_opt_out', granted: true, source: 'keyword', note: `Replied ${keyword} to ${number.e164}`, createdAt: now } });
    await this.audit.record({ orgId: number.orgId, userId: null, ip: null }, { action: 'patient.opted_out', summary: `A patient replied ${keyword} to ${number.e164}`, targetType: 'patient', targetId: patient.id }, tx);
  }

  private async optIn(tx: Prisma.TransactionClient, number: PhoneNumber, patient: Patient, phone: string, now: Date) {
    await tx.smsOptOut.deleteMany({ where: { phoneNumberId: number.id, phone } });
    await tx.consentEvent.create({ data: { orgId: number.orgId, patientId: patient.id, kind: 'sms_opt_out', granted: false, source: 'keyword', note: `Replied START to ${number.e164}`, createdAt: now } });
    await this.audit.record({ orgId: number.orgId, userId: null, ip: null }, { action: 'patient.opted_in', summary: `A patient opted back in to ${number.e164}`, targetType: 'patient', targetId: patient.id }, tx);
  }

  private async helpText(tx: Prisma.TransactionClient, orgId: string): Promise<string> {
    const org = await tx.org.findUniqueOrThrow({ where: { id: orgId } });
    if (org.helpReply?.trim()) return org.helpReply.trim();
    const contact = org.contactPhone ? ` Call us at ${org.contactPhone}.` : '';
    return `${org.name}: this number sends appointment and care messages.${contact} Reply STOP to opt out. Msg & data rates may apply.`;
  }

  /**
   * Every request in the conversation still waiting for an answer, newest first, now answered:
   * a patient who got two reminders and replies once has answered both. A request that never
   * reached them (canceled, failed, held for quiet hours) is left open.
   */
  private async settleRequests(tx: Prisma.TransactionClient, conversationId: string, answer: 'confirmed' | 'declined', now: Date) {
    const open = await tx.message.findMany({
      where: {
        conversationId,
        direction: 'outbound',
        requestsConfirmation: true,
        confirmation: null,
        status: { notIn: ['canceled', 'failed', 'undelivered'] },
        OR: [{ sendAfter: null }, { sendAfter: { lte: now } }],
      },
      orderBy: { createdAt: 'desc' },
      select: { id: true },
    });
    if (open.length) await tx.message.updateMany({ where: { id: { in: open.map((m) => m.id) } }, data: { confirmation: answer, confirmedAt: now } });
    return open;
  }

  /**
   * HELP and the acknowledgement of a confirmation reply are answered at once, whatever the
   * hour: the patient just wrote. Only HELP still goes out after an opt-out (send-recheck.ts).
   */
  private async autoReply(conversation: Conversation, number: PhoneNumber, to: string, reply: AutoReply) {
    const now = this.clock.now();
    const message = await this.db.prisma.message.create({
      data: { orgId: number.orgId, conversationId: conversation.id, direction: 'outbound', channel: 'sms', body: reply.body, status: 'queued', fromNumber: number.e164, toNumber: to, automated: true, autoReply: reply.kind, createdAt: now },
    });
    // Not the inbox row's last message: the patient's text stays the preview.
    this.events.publish(number.orgId, messageCreated(message, conversation, null));
    this.sender.wake();
  }
}

function mediaUrls(params: Record<string, string>): string[] {
  const count = Number(params.NumMedia ?? 0);
  return Array.from({ length: Math.min(count, 10) }, (_, i) => params[`MediaUrl${i}`]).filter((u): u is string => Boolean(u));
}
