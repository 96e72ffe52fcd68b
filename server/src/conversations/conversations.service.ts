import { Inject, Injectable } from '@nestjs/common';
import { formatPhoneForDisplay } from '@caretext/shared';
import { TRPCError } from '@trpc/server';
import { AccessService, type Actor, type ConversationScope, INTERNAL } from '../access/access.service.js';
import { InternalChatService } from './internal-chat.service.js';
import { AuditService } from '../audit/audit.service.js';
import type { Database } from '../db/database.js';
import { type ConversationEvent, EventBus, type NewMessage } from '../events/event-bus.js';
import type { Attachment, Message, Patient, PhoneNumber } from '../generated/prisma/client.js';
import { releasedReason } from '../numbers/released.js';
import { newMessage } from '../messages/message-events.js';
import { displayName } from '../patients/patients.service.js';
import { DATABASE } from '../injection-tokens.js';
import { CLOCK, type Clock } from '../clock.js';
import { imageIdsOf } from '../blasts/blast-image-refs.js';
import { type BlastImageSummary, BlastImagesService } from '../blasts/blast-images.js';

const VIEW_AUDIT_WINDOW_MS = 10 * 60_000;

/** The team inbox: every read is limited to the teams the caller belongs to. */
@Injectable()
export class ConversationsService {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly access: AccessService,
    private readonly audit: AuditService,
    private readonly events: EventBus,
    private readonly internal: InternalChatService,
    private readonly blastImages: BlastImagesService,
  ) {}

  async list(actor: Actor, input: { teamId?: string; cursor?: string; limit: number }) {
    const teamIds = await this.access.teamIdsFor(actor);
    if (input.teamId && !teamIds.includes(input.teamId)) await this.access.requireTeamMember(actor, input.teamId);
    // Patient conversations of my teams (or of the one team asked for); internal ones only where
    // I am a participant, and only in the "all my teams" view (they belong to no team's inbox).
    const ofTeams = { kind: { not: INTERNAL }, teamId: input.teamId ? input.teamId : { in: teamIds } };
    const rows = await this.db.prisma.conversation.findMany({
      where: { orgId: actor.orgId, ...(input.teamId ? ofTeams : { OR: [ofTeams, { kind: INTERNAL, participants: { some: { userId: actor.userId } } }] }) },
      orderBy: [{ lastMessageAt: 'desc' }, { id: 'desc' }],
      cursor: input.cursor ? { id: input.cursor } : undefined,
      skip: input.cursor ? 1 : 0,
      take: input.limit + 1,
    });
    const page = rows.slice(0, input.limit);
    const internalIds = page.filter((c) => c.kind === INTERNAL).map((c) => c.id);
    const [patients, numbers, teams, optOuts, participants, invited] = await Promise.all([
      this.db.prisma.patient.findMany({ where: { id: { in: page.map((c) => c.patientId!).filter(Boolean) } } }),
      this.db.prisma.phoneNumber.findMany({ where: { id: { in: page.map((c) => c.phoneNumberId!).filter(Boolean) } } }),
      this.db.prisma.team.findMany({ where: { id: { in: [...new Set(page.map((c) => c.teamId))] } }, select: { id: true, name: true } }),
      this.db.prisma.smsOptOut.findMany({ where: { orgId: actor.orgId, phoneNumberId: { in: page.map((c) => c.phoneNumberId!).filter(Boolean) } } }),
      this.internal.participantsOf(internalIds),
      this.internal.pendingOf(internalIds),
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
          /** Internal conversations: everyone in it (the caller too); null for patient conversations. */
          participants: c.kind === INTERNAL ? (participants.get(c.id) ?? []) : null,
          /** Internal conversations: people outside the org invited by email who have not joined yet. */
          invited: c.kind === INTERNAL ? (invited.get(c.id) ?? []) : null,
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
  async get(actor: Actor, { conversation, team }: ConversationScope) {
    const [patient, number, messages] = await Promise.all([
      conversation.patientId ? this.db.prisma.patient.findUnique({ where: { id: conversation.patientId } }) : null,
      conversation.phoneNumberId ? this.db.prisma.phoneNumber.findUnique({ where: { id: conversation.phoneNumberId } }) : null,
      this.db.prisma.message.findMany({ where: { conversationId: conversation.id }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: 200 }),
    ]);
    const optOut = patient?.phone && number ? await this.db.prisma.smsOptOut.findUnique({ where: { phoneNumberId_phone: { phoneNumberId: number.id, phone: patient.phone } } }) : null;
    const participants = conversation.kind === INTERNAL ? ((await this.internal.participantsOf([conversation.id])).get(conversation.id) ?? []) : null;
    const invited = conversation.kind === INTERNAL ? ((await this.internal.pendingOf([conversation.id])).get(conversation.id) ?? []) : null;
    const who = patient ? displayName(patient) : participants ? `the internal chat with ${participants.filter((p) => p.id !== actor.userId).map((p) => p.name).join(', ') || 'yourself'}` : 'a patient';
    await this.auditView(actor, conversation.id, who, participants ? 'Opened' : 'Opened the conversation with');
    const [senders, files, images] = await Promise.all([this.senderNames(messages), this.filesOf(conversation.orgId, messages), this.imagesOf(actor, messages)]);
    return {
      id: conversation.id,
      kind: conversation.kind,
      /** Whether the patient may reply to secure messages from the portal. */
      repliesEnabled: conversation.repliesEnabled,
      team,
      number: number && numberView(number, conversation.orgId),
      /** Why nothing can be sent here (the number was released), or null. */
      readOnly: number && !isCurrent(number, conversation.orgId) ? releasedReason(number.e164, number.releasedAt) : null,
      patient: patient && patientBrief(patient),
      /** Internal conversations: everyone in it (the caller too); null for patient conversations. */
      participants,
      /** Internal conversations: people outside the org invited by email (`sent`: the first message mailed them) who have not joined yet. */
      invited,
      /** Internal conversations: who started it (they and org admins may remove people). */
      startedById: conversation.kind === INTERNAL ? conversation.startedById : null,
      optOut: optOut && { keyword: optOut.keyword, at: optOut.createdAt },
      /** Replies nobody has opened yet: the app calls markRead when a person has the thread open. */
      unreadCount: conversation.unreadCount,
      messages: messages.reverse().map((m) => messageView(m, senders, files, images)),
    };
  }

  /** A person opened (or is reading) the thread: its unread count clears. */
  async markRead({ conversation }: ConversationScope) {
    if (conversation.unreadCount) {
      await this.db.prisma.conversation.update({ where: { id: conversation.id }, data: { unreadCount: 0 } });
      // Teammates' inbox rows drop the badge too.
      this.events.publish(conversation.orgId, { type: 'conversation.updated', teamId: conversation.teamId, conversationId: conversation.id, patientId: conversation.patientId, conversation: { unreadCount: 0 } });
    }
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
    const [senders, files] = await Promise.all([this.senderNames(messages), this.filesOf(actor.orgId, messages)]);
    return {
      conversations: conversations.map((c) => ({ id: c.id, kind: c.kind, teamId: c.teamId })),
      messages: messages.map((m) => ({ ...messageView(m, senders, files), conversationId: m.conversationId })),
      optOuts: optOuts.map((o) => ({ number: formatPhoneForDisplay(numbers.find((n) => n.id === o.phoneNumberId)?.e164 ?? ''), keyword: o.keyword, at: o.createdAt })),
      hiddenConversations: (await this.db.prisma.conversation.count({ where: { orgId: actor.orgId, patientId } })) - conversations.length,
    };
  }

  /**
   * One audit event per person and conversation per window: the log says who opened it, not
   * how often they clicked back to it. Open screens never re-read a thread for a live update
   * (events carry the change), so what reaches here is a person opening it, or a screen
   * catching up after its live stream dropped.
   */
  private async auditView(actor: Actor, conversationId: string, who: string, verb = 'Opened the conversation with') {
    const since = new Date(this.clock.now().getTime() - VIEW_AUDIT_WINDOW_MS);
    const recent = await this.db.prisma.auditEvent.findFirst({
      where: { orgId: actor.orgId, actorId: actor.userId, action: 'conversation.viewed', targetId: conversationId, createdAt: { gte: since } },
      select: { id: true },
    });
    if (!recent) await this.audit.record(actor, { action: 'conversation.viewed', summary: `${verb} ${who}`, targetType: 'conversation', targetId: conversationId });
  }

  /**
   * A conversation event as the live inbox sends it: a new message shaped like the thread's
   * (its sender by name, looked up once per stream in `names`). The caller checked the team.
   */
  async liveView(event: ConversationEvent, names: Map<string, string>) {
    if (event.type !== 'message.created') return event;
    const { senderId } = event.message;
    if (senderId && !names.has(senderId)) {
      const user = await this.db.prisma.user.findUnique({ where: { id: senderId }, select: { name: true } });
      names.set(senderId, user?.name ?? 'A former member');
    }
    return { ...event, message: withSender(event.message, names) };
  }

  /** The files on these (secure) messages; links come one at a time from attachments.link. */
  private async filesOf(orgId: string, messages: Message[]): Promise<Attachment[]> {
    const ids = messages.filter((m) => m.channel === 'secure').map((m) => m.id);
    return ids.length ? this.db.prisma.attachment.findMany({ where: { orgId, messageId: { in: ids } }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] }) : [];
  }

  /**
   * The blast images these (MMS blast) messages carry, with links minted now for the reader as
   * staff viewer (as attachments' download links are): never the stored reference, never the
   * carrier's link.
   */
  private imagesOf(actor: Actor, messages: Message[]): Promise<Map<string, BlastImageSummary>> {
    const ids = messages.filter((m) => m.direction === 'outbound').flatMap((m) => imageIdsOf(m.mediaUrls));
    return ids.length ? this.blastImages.forThread(actor, ids) : Promise.resolve(new Map());
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

/** A message as threads show it: the live event's shape (`newMessage`), with the sender's name for their id. */
export function messageView(m: Message, senders: Map<string, string>, files: Attachment[] = [], images: Map<string, BlastImageSummary> = new Map()): ReturnType<typeof withSender> & { readAt?: Date | null; images?: ThreadImage[] } {
  // readAt: the read receipt of a secure message (null otherwise; SMS has none). Optional in the
  // type: a live message.created (just written) has none yet.
  // images: an MMS blast message's images, each with a link signed for the reader (absent: none).
  const shown = imageIdsOf(m.mediaUrls).flatMap((id) => {
    const image = images.get(id);
    return image ? [{ id: image.id, fileName: image.fileName, contentType: image.contentType, url: image.url }] : [];
  });
  return { ...withSender(newMessage(m, files), senders), readAt: m.readAt, ...(shown.length ? { images: shown } : {}) };
}

/** An image a message carries (an MMS blast's), as threads show it: a link for the reader only. */
export type ThreadImage = { id: string; fileName: string; contentType: string; url: string };

function withSender(message: NewMessage, names: Map<string, string>) {
  // senderId stays: the sender's own screen offers Recall on their secure messages.
  return { ...message, sender: senderLabel(message.senderId, message.direction, names) };
}

/** Who wrote a message, as threads show it: a member's name, or the automatic sender; null for the patient. */
function senderLabel(senderId: string | null, direction: string, names: Map<string, string>): string | null {
  if (senderId) return names.get(senderId) ?? 'A former member';
  return direction === 'outbound' ? 'CareText (automatic)' : null;
}
