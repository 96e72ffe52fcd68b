import { Inject, Injectable } from '@nestjs/common';
import { formatPhoneForDisplay } from '@caretext/shared';
import { TRPCError } from '@trpc/server';
import { AccessService, type Actor } from '../access/access.service.js';
import { AuditService } from '../audit/audit.service.js';
import type { Database } from '../db/database.js';
import type { Message, Patient, PhoneNumber } from '../generated/prisma/client.js';
import { releasedReason } from '../numbers/released.js';
import { displayName } from '../patients/patients.service.js';
import { CLOCK, type Clock, DATABASE } from '../tokens.js';

const VIEW_AUDIT_WINDOW_MS = 10 * 60_000;

/** The team inbox: every read is limited to the teams the caller belongs to. */
@Injectable()
export class ConversationsService {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly access: AccessService,
    private readonly audit: AuditService,
  ) {}

  async list(actor: Actor, input: { teamId?: string; cursor?: string; limit: number }) {
    const teamIds = await this.access.teamIdsFor(actor);
    if (input.teamId && !teamIds.includes(input.teamId)) await this.access.requireTeamMember(actor, input.teamId);
    const rows = await this.db.prisma.conversation.findMany({
      where: { orgId: actor.orgId, teamId: input.teamId ? input.teamId : { in: teamIds } },
      orderBy: [{ lastMessageAt: 'desc' }, { id: 'desc' }],
      cursor: input.cursor ? { id: input.cursor } : undefined,
      skip: input.cursor ? 1 : 0,
      take: input.limit + 1,
    });
    const page = rows.slice(0, input.limit);
    const [patients, numbers, teams, optOuts] = await Promise.all([
      this.db.prisma.patient.findMany({ where: { id: { in: page.map((c) => c.patientId!).filter(Boolean) } } }),
      this.db.prisma.phoneNumber.findMany({ where: { id: { in: page.map((c) => c.phoneNumberId!).filter(Boolean) } } }),
      this.db.prisma.team.findMany({ where: { id: { in: [...new Set(page.map((c) => c.teamId))] } }, select: { id: true, name: true } }),
      this.db.prisma.smsOptOut.findMany({ where: { orgId: actor.orgId, phoneNumberId: { in: page.map((c) => c.phoneNumberId!).filter(Boolean) } } }),
    ]);
    return {
      conversations: page.map((c) => {
        const patient = patients.find((p) => p.id === c.patientId) ?? null;
        const number = numbers.find((n) => n.id === c.phoneNumberId) ?? null;
        return {
          id: c.id,
          kind: c.kind,
          team: teams.find((t) => t.id === c.teamId)!,
          number: number && numberView(number, c.orgId),
          patient: patient && patientBrief(patient),
          optedOut: Boolean(patient && number && optOuts.some((o) => o.phoneNumberId === number.id && o.phone === patient.phone)),
          lastMessageAt: c.lastMessageAt,
          lastMessagePreview: c.lastMessagePreview,
          unreadCount: c.unreadCount,
        };
      }),
      nextCursor: rows.length > input.limit ? page[page.length - 1]!.id : null,
    };
  }

  /**
   * Opening a conversation reads a patient's messages: audited, and otherwise without effect
   * (marking it read is `markRead`, which the app calls when a person opens the thread).
   */
  async get(actor: Actor, conversationId: string) {
    const conversation = await this.db.prisma.conversation.findFirst({ where: { id: conversationId, orgId: actor.orgId } });
    if (!conversation) throw new TRPCError({ code: 'NOT_FOUND', message: 'Conversation not found.' });
    const team = await this.access.requireTeamMember(actor, conversation.teamId);
    const [patient, number, messages] = await Promise.all([
      conversation.patientId ? this.db.prisma.patient.findUnique({ where: { id: conversation.patientId } }) : null,
      conversation.phoneNumberId ? this.db.prisma.phoneNumber.findUnique({ where: { id: conversation.phoneNumberId } }) : null,
      this.db.prisma.message.findMany({ where: { conversationId }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: 200 }),
    ]);
    const optOut = patient?.phone && number ? await this.db.prisma.smsOptOut.findUnique({ where: { phoneNumberId_phone: { phoneNumberId: number.id, phone: patient.phone } } }) : null;
    await this.auditView(actor, conversation.id, patient ? displayName(patient) : 'a patient');
    const senders = await this.senderNames(messages);
    return {
      id: conversation.id,
      kind: conversation.kind,
      team,
      number: number && numberView(number, conversation.orgId),
      /** Why nothing can be sent here (the number was released), or null. */
      readOnly: number && !isCurrent(number, conversation.orgId) ? releasedReason(number.e164, number.releasedAt) : null,
      patient: patient && patientBrief(patient),
      optOut: optOut && { keyword: optOut.keyword, at: optOut.createdAt },
      /** Replies nobody has opened yet: the app calls markRead when a person has the thread open. */
      unreadCount: conversation.unreadCount,
      messages: messages.reverse().map((m) => messageView(m, senders)),
    };
  }

  /** A person opened (or is reading) the thread: its unread count clears. */
  async markRead(actor: Actor, conversationId: string) {
    const conversation = await this.db.prisma.conversation.findFirst({ where: { id: conversationId, orgId: actor.orgId } });
    if (!conversation) throw new TRPCError({ code: 'NOT_FOUND', message: 'Conversation not found.' });
    await this.access.requireTeamMember(actor, conversation.teamId);
    if (conversation.unreadCount) await this.db.prisma.conversation.update({ where: { id: conversation.id }, data: { unreadCount: 0 } });
    return { unreadCount: 0 };
  }

  /** A patient's whole history with the teams the caller is on (the profile page). */
  async forPatient(actor: Actor, patientId: string) {
    const patient = await this.db.prisma.patient.findFirst({ where: { id: patientId, orgId: actor.orgId } });
    if (!patient) throw new TRPCError({ code: 'NOT_FOUND', message: 'Patient not found.' });
    const teamIds = await this.access.teamIdsFor(actor);
    const conversations = await this.db.prisma.conversation.findMany({ where: { orgId: actor.orgId, patientId, teamId: { in: teamIds } } });
    const messages = await this.db.prisma.message.findMany({ where: { conversationId: { in: conversations.map((c) => c.id) } }, orderBy: { createdAt: 'asc' }, take: 500 });
    const optOuts = patient.phone ? await this.db.prisma.smsOptOut.findMany({ where: { orgId: actor.orgId, phone: patient.phone } }) : [];
    const numbers = await this.db.prisma.phoneNumber.findMany({ where: { id: { in: optOuts.map((o) => o.phoneNumberId) } } });
    const senders = await this.senderNames(messages);
    return {
      conversations: conversations.map((c) => ({ id: c.id, kind: c.kind, teamId: c.teamId })),
      messages: messages.map((m) => ({ ...messageView(m, senders), conversationId: m.conversationId })),
      optOuts: optOuts.map((o) => ({ number: formatPhoneForDisplay(numbers.find((n) => n.id === o.phoneNumberId)?.e164 ?? ''), keyword: o.keyword, at: o.createdAt })),
      hiddenConversations: (await this.db.prisma.conversation.count({ where: { orgId: actor.orgId, patientId } })) - conversations.length,
    };
  }

  /**
   * One audit event per person and conversation per window: an open thread re-reads on every
   * status change, and the log should say who looked, not how often the screen refreshed.
   */
  private async auditView(actor: Actor, conversationId: string, who: string) {
    const since = new Date(this.clock.now().getTime() - VIEW_AUDIT_WINDOW_MS);
    const recent = await this.db.prisma.auditEvent.findFirst({
      where: { orgId: actor.orgId, actorId: actor.userId, action: 'conversation.viewed', targetId: conversationId, createdAt: { gte: since } },
      select: { id: true },
    });
    if (!recent) await this.audit.record(actor, { action: 'conversation.viewed', summary: `Opened the conversation with ${who}`, targetType: 'conversation', targetId: conversationId });
  }

  private async senderNames(messages: Message[]): Promise<Map<string, string>> {
    const ids = [...new Set(messages.map((m) => m.senderId).filter((id): id is string => Boolean(id)))];
    const users = ids.length ? await this.db.prisma.user.findMany({ where: { id: { in: ids } }, select: { id: true, name: true } }) : [];
    return new Map(users.map((u) => [u.id, u.name]));
  }
}

/** The conversation's number is still its org's and active (a released one may be someone else's now). */
function isCurrent(n: PhoneNumber, orgId: string): boolean {
  return n.status === 'active' && n.orgId === orgId;
}

function numberView(n: PhoneNumber, orgId: string) {
  return { id: n.id, e164: n.e164, display: formatPhoneForDisplay(n.e164), active: isCurrent(n, orgId), releasedAt: n.releasedAt };
}

export function patientBrief(p: Patient) {
  return { id: p.id, displayName: displayName(p), firstName: p.firstName, lastName: p.lastName, preferredName: p.preferredName, email: p.email, phone: p.phone, phoneDisplay: p.phone ? formatPhoneForDisplay(p.phone) : null, dob: p.dob, mrn: p.mrn, source: p.source, phoneLineType: p.phoneLineType, blocked: p.blockedAt !== null };
}

export function messageView(m: Message, senders: Map<string, string>) {
  return {
    id: m.id,
    direction: m.direction,
    channel: m.channel,
    body: m.body,
    mediaUrls: m.mediaUrls,
    status: m.status,
    errorCode: m.errorCode,
    errorMessage: m.errorMessage,
    sender: m.senderId ? (senders.get(m.senderId) ?? 'A former member') : m.direction === 'outbound' ? 'CareText (automatic)' : null,
    segments: m.segments,
    requestsConfirmation: m.requestsConfirmation,
    confirmation: m.confirmation,
    answersMessageId: m.answersMessageId,
    sendAfter: m.sendAfter,
    createdAt: m.createdAt,
    sentAt: m.sentAt,
    deliveredAt: m.deliveredAt,
  };
}
