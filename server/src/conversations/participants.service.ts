import { Inject, Injectable } from '@nestjs/common';
import { STATUS_RANK } from '@caretext/shared';
import { TRPCError } from '@trpc/server';
import { type Actor, type ConversationScope, INTERNAL, isAdmin, isExternal } from '../access/access.service.js';
import { AuditService } from '../audit/audit.service.js';
import { CLOCK, type Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import { EventBus } from '../events/event-bus.js';
import type { Conversation, Message, Prisma } from '../generated/prisma/client.js';
import { DATABASE } from '../injection-tokens.js';
import { messageCreated } from '../messages/message-events.js';
import { ExternalChatService } from './external-chat.service.js';
import { InternalChatService, MAX_INTERNAL_PARTICIPANTS } from './internal-chat.service.js';

/**
 * The people of an existing internal chat: adding colleagues (and, for staff where the org allows
 * it, addresses outside the org: pending invitations mailed with the next message, as when
 * starting a chat), removing someone (its starter or an org admin), leaving, and re-sending an
 * external invitation. Every method takes a ConversationScope: the caller is a participant.
 * A change leaves a system line in the thread ("Dana added Sam") and a `participantsChanged`
 * event, which makes every live stream re-read the conversation's audience, and tells the people
 * removed (`removedUserIds`) that it is gone. The added see the whole history (the thread is the
 * conversation's, not a participant's).
 */
@Injectable()
export class ParticipantsService {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly audit: AuditService,
    private readonly events: EventBus,
    private readonly internal: InternalChatService,
    private readonly external: ExternalChatService,
  ) {}

  /** Adds colleagues (`userIds`, or members' addresses in `emails`) and invites other addresses. */
  async add(actor: Actor, { conversation }: ConversationScope, input: { userIds: string[]; emails?: string[] }) {
    requireInternal(conversation);
    const typed = [...new Set((input.emails ?? []).map((e) => e.trim().toLowerCase()))];
    const known = typed.length
      ? await this.db.prisma.membership.findMany({ where: { orgId: actor.orgId, user: { email: { in: typed, mode: 'insensitive' } } }, select: { userId: true, user: { select: { email: true } } } })
      : [];
    const knownEmails = new Set(known.map((m) => m.user.email.toLowerCase()));
    const [current, pending] = await Promise.all([
      this.db.prisma.conversationParticipant.findMany({ where: { conversationId: conversation.id }, select: { userId: true } }),
      this.db.prisma.externalInvite.findMany({ where: { conversationId: conversation.id }, select: { email: true, acceptedAt: true } }),
    ]);
    const inChat = new Set(current.map((p) => p.userId));
    const invitedBefore = new Set(pending.map((i) => i.email));
    const userIds = [...new Set([...input.userIds, ...known.map((m) => m.userId)])].filter((id) => !inChat.has(id));
    // An address invited here before (pending, or accepted and since removed) is not invited twice:
    // a pending one already goes out with the next message; one who joined is re-added by account.
    const invited = typed.filter((email) => !knownEmails.has(email) && !invitedBefore.has(email));
    if (userIds.length + invited.length === 0) throw new TRPCError({ code: 'BAD_REQUEST', message: 'They are already in this chat.' });
    const waiting = pending.filter((i) => i.acceptedAt === null).length;
    if (inChat.size - 1 + waiting + userIds.length + invited.length > MAX_INTERNAL_PARTICIPANTS) {
      throw new TRPCError({ code: 'BAD_REQUEST', message: `An internal chat takes at most ${MAX_INTERNAL_PARTICIPANTS} people.` });
    }
    // Same rule as starting a chat: this org's members only; an external collaborator only those they may reach.
    const reachable = isExternal(actor.role) ? await this.internal.reachableByExternal(actor) : null;
    const members = await this.db.prisma.membership.findMany({ where: { orgId: actor.orgId, userId: { in: userIds } }, select: { userId: true } });
    if (members.length !== userIds.length || (reachable && userIds.some((id) => !reachable.has(id)))) {
      throw new TRPCError({ code: 'NOT_FOUND', message: 'That colleague is not a member of this organization.' });
    }
    await this.external.requireMayInvite(actor, invited);

    const names = await this.namesOf([actor.userId, ...userIds]);
    const addedLabels = [...userIds.map((id) => names.get(id)!), ...invited];
    const now = this.clock.now();
    const note = await this.db.prisma.$transaction(async (tx) => {
      if (userIds.length) await tx.conversationParticipant.createMany({ data: userIds.map((userId) => ({ conversationId: conversation.id, userId, createdAt: now })) });
      await this.external.addPending(tx, actor, conversation.id, invited, now);
      await this.audit.record(
        actor,
        {
          action: 'conversation.participants_added',
          summary: `Added ${userIds.length} colleague${userIds.length === 1 ? '' : 's'}${invited.length ? ` and invited ${invited.length} person${invited.length === 1 ? '' : 's'} outside the organization (with the next message)` : ''} to an internal chat`,
          targetType: 'conversation',
          targetId: conversation.id,
          data: { userIds, invitedEmails: invited },
        },
        tx,
      );
      return this.systemLine(tx, conversation, `${names.get(actor.userId)} added ${listOf(addedLabels)}`, now);
    });
    this.publish(conversation, note, []);
    return { added: userIds.length, invited: invited.length };
  }

  /**
   * Takes someone out of the chat (its starter or an org admin), or an invitation not accepted yet
   * (`email`: its link stops working). Removing oneself is leaving.
   */
  async remove(actor: Actor, scope: ConversationScope, input: { userId?: string; email?: string }) {
    const { conversation } = scope;
    requireInternal(conversation);
    if (input.userId === actor.userId) return this.leave(actor, scope);
    if (!isAdmin(actor.role) && conversation.startedById !== actor.userId) {
      throw new TRPCError({ code: 'FORBIDDEN', message: 'Only the person who started this chat or an organization admin can remove people.' });
    }
    const now = this.clock.now();
    const names = await this.namesOf([actor.userId, ...(input.userId ? [input.userId] : [])]);
    if (input.email) {
      const email = input.email.trim().toLowerCase();
      const note = await this.db.prisma.$transaction(async (tx) => {
        const gone = await tx.externalInvite.deleteMany({ where: { conversationId: conversation.id, email, acceptedAt: null } });
        if (gone.count !== 1) throw new TRPCError({ code: 'NOT_FOUND', message: 'No pending invitation for that address in this chat.' });
        await this.audit.record(actor, { action: 'conversation.invite_removed', summary: `Withdrew the invitation of ${email} to an internal chat`, targetType: 'conversation', targetId: conversation.id, data: { email } }, tx);
        return this.systemLine(tx, conversation, `${names.get(actor.userId)} removed ${email}`, now);
      });
      this.publish(conversation, note, []);
      return { removed: 1 };
    }
    if (!input.userId) throw new TRPCError({ code: 'BAD_REQUEST', message: 'Name the person to remove.' });
    const userId = input.userId;
    const note = await this.db.prisma.$transaction(async (tx) => {
      const gone = await tx.conversationParticipant.deleteMany({ where: { conversationId: conversation.id, userId } });
      if (gone.count !== 1) throw new TRPCError({ code: 'NOT_FOUND', message: 'That person is not in this chat.' });
      await this.audit.record(actor, { action: 'conversation.participant_removed', summary: `Removed ${names.get(userId) ?? 'someone'} from an internal chat`, targetType: 'conversation', targetId: conversation.id, data: { userId } }, tx);
      return this.systemLine(tx, conversation, `${names.get(actor.userId)} removed ${names.get(userId) ?? 'someone'}`, now);
    });
    this.publish(conversation, note, [userId]);
    return { removed: 1 };
  }

  /** The caller leaves the chat: it is gone from their inbox at once. */
  async leave(actor: Actor, { conversation }: ConversationScope) {
    requireInternal(conversation);
    const names = await this.namesOf([actor.userId]);
    const now = this.clock.now();
    const note = await this.db.prisma.$transaction(async (tx) => {
      const gone = await tx.conversationParticipant.deleteMany({ where: { conversationId: conversation.id, userId: actor.userId } });
      if (gone.count !== 1) throw new TRPCError({ code: 'NOT_FOUND', message: 'Conversation not found.' });
      await this.audit.record(actor, { action: 'conversation.left', summary: 'Left an internal chat', targetType: 'conversation', targetId: conversation.id }, tx);
      return this.systemLine(tx, conversation, `${names.get(actor.userId)} left`, now);
    });
    this.publish(conversation, note, [actor.userId]);
    return { removed: 1 };
  }

  /** A new Get started link for an invitation that was mailed and not used: the old link stops working. */
  async resendInvite(actor: Actor, { conversation }: ConversationScope, email: string) {
    requireInternal(conversation);
    await this.external.requireMayInvite(actor, [email]);
    await this.external.resend(actor, conversation.id, email.trim().toLowerCase());
    this.events.publish(conversation.orgId, { type: 'conversation.updated', teamId: conversation.teamId, conversationId: conversation.id, patientId: null, conversation: { participantsChanged: true } });
    return { sent: true };
  }

  private async namesOf(userIds: string[]): Promise<Map<string, string>> {
    const users = await this.db.prisma.user.findMany({ where: { id: { in: [...new Set(userIds)] } }, select: { id: true, name: true } });
    return new Map(users.map((u) => [u.id, u.name]));
  }

  /** "Dana added Sam": a line in the thread (no sender), and the chat moves to the top of inboxes. */
  private async systemLine(tx: Prisma.TransactionClient, conversation: Conversation, body: string, now: Date): Promise<Message> {
    await tx.conversation.update({ where: { id: conversation.id }, data: { lastMessageAt: now } });
    return tx.message.create({
      data: { orgId: conversation.orgId, conversationId: conversation.id, direction: 'system', channel: 'system', body, status: 'sent', statusRank: STATUS_RANK.sent!, automated: true, createdAt: now },
    });
  }

  /** The audience first (every stream re-reads it; the removed are told), then the system line. */
  private publish(conversation: Conversation, note: Message, removedUserIds: string[]) {
    this.events.publish(conversation.orgId, {
      type: 'conversation.updated',
      teamId: conversation.teamId,
      conversationId: conversation.id,
      patientId: null,
      // lastMessageAt: an inbox that does not list it yet (the person just added) reads it in.
      conversation: { participantsChanged: true, lastMessageAt: note.createdAt, ...(removedUserIds.length ? { removedUserIds } : {}) },
    });
    this.events.publish(conversation.orgId, messageCreated(note, conversation, null));
  }
}

function requireInternal(conversation: Conversation): void {
  if (conversation.kind !== INTERNAL) throw new TRPCError({ code: 'BAD_REQUEST', message: 'Only internal chats have people to add or remove.' });
}

/** "Sam", "Sam and Lee", "Sam, Lee and Ana". */
function listOf(names: string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}
