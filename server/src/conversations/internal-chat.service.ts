import { Inject, Injectable } from '@nestjs/common';
import { MAX_SEND_BODY, type SendMessageInput, STATUS_RANK } from '@caretext/shared';
import { TRPCError } from '@trpc/server';
import { AccessService, type Actor, type ConversationScope, EXTERNAL, INTERNAL, isExternal } from '../access/access.service.js';
import { AttachmentsService } from '../attachments/attachments.service.js';
import { AuditService } from '../audit/audit.service.js';
import { CLOCK, type Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import { EventBus } from '../events/event-bus.js';
import type { Attachment, Conversation, Message } from '../generated/prisma/client.js';
import { DATABASE } from '../injection-tokens.js';
import { messageCreated } from '../messages/message-events.js';
import { ExternalChatService } from './external-chat.service.js';

export type Participant = { id: string; name: string; email: string; external: boolean };

/** Most colleagues one internal conversation takes besides its starter. */
export const MAX_INTERNAL_PARTICIPANTS = 20;

/** What an internal conversation's inbox row says: never the text (a recall could not take it back from there). */
export const INTERNAL_PREVIEW = 'Internal message';

/**
 * Internal chat: staff-to-staff conversations within the org (`kind: 'internal'`). Messages are
 * stored on our server like Secure Chat ones (channel `secure`, so files and recall work the
 * same) and never leave it: no SMS, no portal link, no PHI prompt. Only the participants see the
 * conversation, whatever their teams or role (AccessService.requireConversation); its `teamId`
 * records the starter's team and grants nothing. It never has a patient (conversations.events
 * relies on that: an event naming a patient is a team conversation's).
 */
@Injectable()
export class InternalChatService {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly access: AccessService,
    private readonly audit: AuditService,
    private readonly events: EventBus,
    private readonly attachments: AttachmentsService,
    private readonly external: ExternalChatService,
  ) {}

  /**
   * The people the caller can start an internal chat with: for a member, the org's other members
   * (external collaborators marked); for an external collaborator, only those they may reach
   * (reachableByExternal).
   */
  async colleagues(actor: Actor, query?: string) {
    const q = query?.trim();
    const reachable = isExternal(actor.role) ? await this.reachableByExternal(actor) : null;
    const rows = await this.db.prisma.membership.findMany({
      where: {
        orgId: actor.orgId,
        userId: reachable ? { in: [...reachable] } : { not: actor.userId },
        ...(q ? { user: { OR: [{ name: { contains: q, mode: 'insensitive' as const } }, { email: { contains: q, mode: 'insensitive' as const } }] } } : {}),
      },
      include: { user: { select: { id: true, name: true, email: true } } },
      orderBy: { user: { name: 'asc' } },
      take: 50,
    });
    return rows.map((m) => ({ id: m.user.id, name: m.user.name, email: m.user.email, external: isExternal(m.role) }));
  }

  /**
   * Whom an external collaborator may start a chat with in this org: the people they already
   * share one of its internal chats with, and the members of this org who are their colleagues
   * (members, not externals, of an org where they are a member too).
   */
  async reachableByExternal(actor: Actor): Promise<Set<string>> {
    const [shared, homeOrgs] = await Promise.all([
      this.db.prisma.conversationParticipant.findMany({
        where: { userId: { not: actor.userId }, conversation: { orgId: actor.orgId, kind: INTERNAL, participants: { some: { userId: actor.userId } } } },
        select: { userId: true },
      }),
      this.db.prisma.membership.findMany({ where: { userId: actor.userId, orgId: { not: actor.orgId }, role: { not: EXTERNAL } }, select: { orgId: true } }),
    ]);
    const colleagues = homeOrgs.length
      ? await this.db.prisma.membership.findMany({
          where: { orgId: actor.orgId, userId: { not: actor.userId }, user: { memberships: { some: { orgId: { in: homeOrgs.map((m) => m.orgId) }, role: { not: EXTERNAL } } } } },
          select: { userId: true },
        })
      : [];
    return new Set([...shared, ...colleagues].map((r) => r.userId));
  }

  /**
   * Opens an internal conversation between the caller and these colleagues, or finds the one
   * they already have with exactly the same people. Every colleague must be a member of the
   * caller's org (an external collaborator: one they may reach); anyone else is NOT_FOUND, so ids
   * of other orgs' users do not leak. `emails`: addresses typed into the To field; a member's
   * address is that member, any other becomes a pending external invitation, mailed when the
   * first message is sent (ExternalChatService), and only where the org allows external chat.
   */
  async start(actor: Actor, input: { userIds: string[]; emails?: string[] }): Promise<{ conversationId: string; created: boolean }> {
    const typed = [...new Set((input.emails ?? []).map((e) => e.trim().toLowerCase()))];
    const known = typed.length
      ? await this.db.prisma.membership.findMany({ where: { orgId: actor.orgId, user: { email: { in: typed, mode: 'insensitive' } } }, select: { userId: true, user: { select: { email: true } } } })
      : [];
    const knownEmails = new Set(known.map((m) => m.user.email.toLowerCase()));
    const invited = typed.filter((email) => !knownEmails.has(email));
    const others = [...new Set([...input.userIds, ...known.map((m) => m.userId)])].filter((id) => id !== actor.userId);
    if (others.length + invited.length === 0) throw new TRPCError({ code: 'BAD_REQUEST', message: 'Pick at least one colleague.' });
    if (others.length + invited.length > MAX_INTERNAL_PARTICIPANTS) throw new TRPCError({ code: 'BAD_REQUEST', message: `An internal chat takes at most ${MAX_INTERNAL_PARTICIPANTS} people.` });
    const reachable = isExternal(actor.role) ? await this.reachableByExternal(actor) : null;
    const members = await this.db.prisma.membership.findMany({ where: { orgId: actor.orgId, userId: { in: others } }, select: { userId: true } });
    if (members.length !== others.length || (reachable && others.some((id) => !reachable.has(id)))) {
      throw new TRPCError({ code: 'NOT_FOUND', message: 'That colleague is not a member of this organization.' });
    }
    await this.external.requireMayInvite(actor, invited);
    const everyone = new Set([actor.userId, ...others]);

    const mine = await this.db.prisma.conversation.findMany({
      where: { orgId: actor.orgId, kind: INTERNAL, participants: { some: { userId: actor.userId } } },
      include: { participants: { select: { userId: true } }, externalInvites: { where: { acceptedAt: null }, select: { email: true } } },
    });
    const same = mine.find(
      (c) =>
        c.participants.length === everyone.size &&
        c.participants.every((p) => everyone.has(p.userId)) &&
        c.externalInvites.length === invited.length &&
        c.externalInvites.every((i) => invited.includes(i.email)),
    );
    if (same) return { conversationId: same.id, created: false };

    const teamId = await this.homeTeam(actor);
    const now = this.clock.now();
    const conversation = await this.db.prisma.$transaction(async (tx) => {
      const created = await tx.conversation.create({
        data: { orgId: actor.orgId, teamId, kind: INTERNAL, startedById: actor.userId, lastMessageAt: now, createdAt: now, participants: { create: [...everyone].map((userId) => ({ userId, createdAt: now })) } },
      });
      await this.external.addPending(tx, actor, created.id, invited, now);
      const summary = `Started an internal chat with ${others.length} colleague${others.length === 1 ? '' : 's'}${invited.length ? ` and ${invited.length} person${invited.length === 1 ? '' : 's'} outside the organization (invited with the first message)` : ''}`;
      await this.audit.record(actor, { action: 'conversation.started', summary, targetType: 'conversation', targetId: created.id, data: { kind: INTERNAL, participantIds: [...everyone], invitedEmails: invited } }, tx);
      return created;
    });
    // Each participant's inbox lists it at once (conversations.events passes it to participants only).
    this.events.publish(actor.orgId, { type: 'conversation.updated', teamId, conversationId: conversation.id, patientId: null, conversation: { lastMessageAt: now, lastMessagePreview: null } });
    return { conversationId: conversation.id, created: true };
  }

  /** `conversations.send` in an internal conversation (the router's scope checked the caller is in it). */
  async send(actor: Actor, { conversation }: ConversationScope, input: SendMessageInput): Promise<{ duplicate: boolean; message: Message; notification?: undefined }> {
    if (conversation.kind !== INTERNAL) throw new TRPCError({ code: 'BAD_REQUEST', message: 'Not an internal conversation.' });
    if (input.channel === 'sms') throw new TRPCError({ code: 'BAD_REQUEST', message: 'Internal chats are never sent by SMS: they stay on CareText.' });
    const sendKey = input.idempotencyKey ? { orgId: actor.orgId, conversationId: conversation.id, senderId: actor.userId, idempotencyKey: input.idempotencyKey } : null;
    if (sendKey) {
      const existing = await this.db.prisma.message.findUnique({ where: { sendKey } });
      if (existing) return { duplicate: true, message: existing };
    }
    // No template rendering: the tokens fill in a patient, and there is none here.
    const body = input.body.trim();
    const fileIds = [...new Set(input.attachmentIds ?? [])];
    if (!body && !fileIds.length) throw new TRPCError({ code: 'BAD_REQUEST', message: 'Write a message or attach a file first.' });
    if (body.length > MAX_SEND_BODY) throw new TRPCError({ code: 'BAD_REQUEST', message: `The message is ${body.length} characters; the limit is ${MAX_SEND_BODY}.` });

    const now = this.clock.now();
    let created: { message: Message; files: Attachment[] };
    try {
      created = await this.db.prisma.$transaction(async (tx) => {
        const message = await tx.message.create({
          data: { orgId: actor.orgId, conversationId: conversation.id, direction: 'outbound', channel: 'secure', body, status: 'sent', statusRank: STATUS_RANK.sent!, senderId: actor.userId, idempotencyKey: input.idempotencyKey, sentAt: now, createdAt: now },
        });
        const taken = await this.attachments.attachToMessage(conversation, message.id, fileIds, tx);
        if (taken !== fileIds.length) {
          throw new TRPCError({ code: 'BAD_REQUEST', message: 'One of the files cannot be sent with this message: it was already sent, recalled, or uploaded to another conversation. Remove it and attach it again.' });
        }
        const files = fileIds.length ? await tx.attachment.findMany({ where: { messageId: message.id }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] }) : [];
        await tx.conversation.update({ where: { id: conversation.id }, data: { lastMessageAt: now, lastMessagePreview: INTERNAL_PREVIEW } });
        await this.audit.record(actor, { action: 'message.sent', summary: files.length ? `Sent an internal message with ${files.length} file${files.length === 1 ? '' : 's'}` : 'Sent an internal message', targetType: 'message', targetId: message.id, data: { conversationId: conversation.id, channel: INTERNAL, attachmentIds: fileIds } }, tx);
        return { message, files };
      });
    } catch (error) {
      if (sendKey && (error as { code?: string }).code === 'P2002') return { duplicate: true, message: await this.db.prisma.message.findUniqueOrThrow({ where: { sendKey } }) };
      throw error;
    }
    this.events.publish(actor.orgId, messageCreated(created.message, conversation, { lastMessageAt: now, lastMessagePreview: INTERNAL_PREVIEW }, created.files));
    // The first message is what invites the people typed in by email (once each).
    await this.external.sendPending(actor, conversation.id);
    return { duplicate: false, message: created.message };
  }

  /**
   * The participants of these internal conversations, by name (the inbox rows and the thread
   * header); `external` marks people from outside the org (their email says where they are from).
   */
  async participantsOf(conversationIds: string[]): Promise<Map<string, Participant[]>> {
    const rows = conversationIds.length
      ? await this.db.prisma.conversationParticipant.findMany({ where: { conversationId: { in: conversationIds } }, include: { user: { select: { id: true, name: true, email: true } }, conversation: { select: { orgId: true } } }, orderBy: { createdAt: 'asc' } })
      : [];
    const externals = rows.length
      ? await this.db.prisma.membership.findMany({ where: { role: EXTERNAL, orgId: { in: [...new Set(rows.map((r) => r.conversation.orgId))] }, userId: { in: [...new Set(rows.map((r) => r.userId))] } }, select: { orgId: true, userId: true } })
      : [];
    const isOutside = new Set(externals.map((m) => `${m.orgId}:${m.userId}`));
    const by = new Map<string, Participant[]>();
    for (const r of rows) by.set(r.conversationId, [...(by.get(r.conversationId) ?? []), { ...r.user, external: isOutside.has(`${r.conversation.orgId}:${r.userId}`) }]);
    return by;
  }

  /** Invitations by email not accepted yet (shown as "Invited" beside the participants). */
  pendingOf(conversationIds: string[]) {
    return this.external.pendingOf(conversationIds);
  }

  /**
   * Who a conversation's live events may reach: 'team' (its team's members, as for any patient
   * conversation) or the user ids of an internal one's participants. Looked up once per stream
   * and conversation (`known`); a change of participants (ParticipantsService, a `participantsChanged`
   * event) makes conversations.events drop its entry, so the next event reads it again.
   */
  async audience(conversationId: string, known: Map<string, 'team' | Set<string>>): Promise<'team' | Set<string>> {
    const cached = known.get(conversationId);
    if (cached) return cached;
    const c: Pick<Conversation, 'kind'> | null = await this.db.prisma.conversation.findUnique({ where: { id: conversationId }, select: { kind: true } });
    const audience: 'team' | Set<string> =
      c?.kind === INTERNAL
        ? new Set((await this.db.prisma.conversationParticipant.findMany({ where: { conversationId }, select: { userId: true } })).map((p) => p.userId))
        : c
          ? 'team'
          : new Set<string>();
    if (known.size > 5000) known.clear();
    known.set(conversationId, audience);
    return audience;
  }


  /** The starter's first team (the conversation's bookkeeping team), else the org's first. */
  private async homeTeam(actor: Actor): Promise<string> {
    const mine = await this.db.prisma.teamMember.findFirst({ where: { userId: actor.userId, team: { orgId: actor.orgId } }, orderBy: { team: { createdAt: 'asc' } }, select: { teamId: true } });
    if (mine) return mine.teamId;
    const any = await this.db.prisma.team.findFirst({ where: { orgId: actor.orgId }, orderBy: { createdAt: 'asc' }, select: { id: true } });
    // A conversation row needs a team (Conversation.teamId); an org without any has not set up messaging yet.
    if (!any) throw new TRPCError({ code: 'PRECONDITION_FAILED', message: 'Internal chats need a team in the organization first: an admin creates one under Settings → Teams.' });
    return any.id;
  }
}
