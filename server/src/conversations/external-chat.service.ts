import { Inject, Injectable, Logger } from '@nestjs/common';
import { TRPCError } from '@trpc/server';
import { type Actor, EXTERNAL, INTERNAL } from '../access/access.service.js';
import { AuditService } from '../audit/audit.service.js';
import { hashPassword } from '../auth/password.js';
import { hashToken, newSecretToken } from '../auth/tokens.js';
import { CLOCK, type Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import { EventBus } from '../events/event-bus.js';
import type { Prisma } from '../generated/prisma/client.js';
import { CONFIG, DATABASE } from '../injection-tokens.js';
import { MailService } from '../mail/mail.service.js';

/** How long a Get started link works after the mail went out. */
export const EXTERNAL_INVITE_DAYS = 7;
const INVALID = 'This invitation link is not valid. Ask the person who wrote to you to send a new message.';

/**
 * External collaborators: people outside the org typed into an internal chat's To field.
 * Typing the address stores a pending ExternalInvite and sends nothing; the first message sent in
 * the conversation sends each pending invitation email once (claimed with a conditional update,
 * so two messages at once still send one). The Get started link (token stored only as a hash,
 * expiring, single use) makes the person an 'external' member of the org (no seat: billing
 * counts owner/admin/member only) and a participant of that conversation. What an external
 * member may do is the allow-list in AccessService (EXTERNAL_PROCEDURES).
 */
@Injectable()
export class ExternalChatService {
  private readonly logger = new Logger(ExternalChatService.name);

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly audit: AuditService,
    private readonly mail: MailService,
    private readonly events: EventBus,
  ) {}

  /** Refuses addresses outside the org unless its policy allows external chat, and for external callers. */
  async requireMayInvite(actor: Actor, emails: string[]): Promise<void> {
    if (!emails.length) return;
    if (actor.role === EXTERNAL) throw new TRPCError({ code: 'FORBIDDEN', message: 'Only members of the organization can invite people by email.' });
    const org = await this.db.prisma.org.findUniqueOrThrow({ where: { id: actor.orgId }, select: { externalChatAllowed: true } });
    if (!org.externalChatAllowed) {
      throw new TRPCError({ code: 'FORBIDDEN', message: 'Your organization does not allow chats with people outside it. An admin can turn on "Allow external chat" under Settings → Policies.' });
    }
  }

  /** Pending (unsent) invitations for a new conversation: no token and no mail yet. */
  async addPending(tx: Prisma.TransactionClient, actor: Actor, conversationId: string, emails: string[], now: Date): Promise<void> {
    if (!emails.length) return;
    await tx.externalInvite.createMany({ data: emails.map((email) => ({ orgId: actor.orgId, conversationId, email, invitedById: actor.userId, createdAt: now })) });
  }

  /**
   * After a message was sent in the conversation: mail every invitation not sent yet, once.
   * A mail that fails is released again, so the next message retries it.
   */
  async sendPending(actor: Actor, conversationId: string): Promise<number> {
    const pending = await this.db.prisma.externalInvite.findMany({ where: { conversationId, sentAt: null }, include: { org: { select: { name: true } } } });
    if (!pending.length) return 0;
    const inviter = await this.db.prisma.user.findUniqueOrThrow({ where: { id: actor.userId }, select: { name: true } });
    let sent = 0;
    for (const invite of pending) {
      const { token, hash } = newSecretToken();
      const now = this.clock.now();
      const claimed = await this.db.prisma.externalInvite.updateMany({
        where: { id: invite.id, sentAt: null },
        data: { sentAt: now, tokenHash: hash, expiresAt: new Date(now.getTime() + EXTERNAL_INVITE_DAYS * 86_400_000) },
      });
      if (claimed.count !== 1) continue;
      try {
        await this.mailInvite(actor, invite.email, invite.org.name, inviter.name, token);
      } catch (error) {
        await this.db.prisma.externalInvite.updateMany({ where: { id: invite.id, tokenHash: hash }, data: { sentAt: null, tokenHash: null, expiresAt: null } });
        this.logger.error(`external invitation mail ${invite.id} failed; the next message retries it: ${(error as Error).message}`);
        continue;
      }
      await this.audit.record(actor, { action: 'external.invited', summary: `Invited ${invite.email} (outside the organization) into an internal chat`, targetType: 'conversation', targetId: conversationId, data: { email: invite.email } });
      sent += 1;
    }
    return sent;
  }

  /**
   * "Resend invitation": a new Get started link for an invitation that was mailed and not used
   * (expired or not); the old link stops working (its hash is replaced). One not mailed yet goes
   * out with the next message, as always.
   */
  async resend(actor: Actor, conversationId: string, email: string): Promise<void> {
    const invite = await this.db.prisma.externalInvite.findFirst({ where: { conversationId, email, acceptedAt: null }, include: { org: { select: { name: true } } } });
    if (!invite) throw new TRPCError({ code: 'NOT_FOUND', message: 'No pending invitation for that address in this chat.' });
    if (!invite.sentAt) throw new TRPCError({ code: 'BAD_REQUEST', message: 'This invitation has not been sent yet: it goes out with the next message.' });
    const inviter = await this.db.prisma.user.findUniqueOrThrow({ where: { id: actor.userId }, select: { name: true } });
    const { token, hash } = newSecretToken();
    const now = this.clock.now();
    const claimed = await this.db.prisma.externalInvite.updateMany({
      where: { id: invite.id, acceptedAt: null },
      data: { sentAt: now, tokenHash: hash, expiresAt: new Date(now.getTime() + EXTERNAL_INVITE_DAYS * 86_400_000) },
    });
    if (claimed.count !== 1) throw new TRPCError({ code: 'BAD_REQUEST', message: 'This invitation was just accepted.' });
    // A failed mail leaves the new link in place (the old one is gone either way): Resend again.
    await this.mailInvite(actor, invite.email, invite.org.name, inviter.name, token);
    await this.audit.record(actor, { action: 'external.reinvited', summary: `Sent ${invite.email} a new invitation link to an internal chat (the old link no longer works)`, targetType: 'conversation', targetId: conversationId, data: { email: invite.email } });
  }

  private async mailInvite(actor: Actor, to: string, orgName: string, inviterName: string, token: string): Promise<void> {
    const link = `${this.config.publicUrl}/external/${token}`;
    await this.mail.send({
      to,
      subject: `${inviterName} at ${orgName} sent you a message on CareText`,
      text: `${inviterName} at ${orgName} started a secure conversation with you on CareText and sent you a message.\n\nGet started (the link works for ${EXTERNAL_INVITE_DAYS} days):\n${link}\n\nYou will set your name and a password, then see the conversation. The message itself is not in this email.`,
      html: `<p>${escapeHtml(inviterName)} at <b>${escapeHtml(orgName)}</b> started a secure conversation with you on CareText and sent you a message.</p><p><a href="${link}">Get started</a> (valid for ${EXTERNAL_INVITE_DAYS} days)</p><p>The message itself is not in this email.</p>`,
      tag: { kind: 'external-invite', orgId: actor.orgId },
    });
  }

  /** What the Get started page shows: reveals nothing without the secret link. */
  async info(token: string) {
    const invite = await this.db.prisma.externalInvite.findUnique({
      where: { tokenHash: hashToken(token) },
      include: { org: { select: { name: true } }, invitedBy: { select: { name: true } } },
    });
    if (!invite) throw new TRPCError({ code: 'NOT_FOUND', message: INVALID });
    const account = await this.db.prisma.user.findUnique({ where: { email: invite.email }, select: { id: true } });
    return {
      orgName: invite.org.name,
      invitedBy: invite.invitedBy.name,
      email: invite.email,
      hasAccount: account !== null,
      expired: invite.expiresAt !== null && invite.expiresAt <= this.clock.now(),
      accepted: invite.acceptedAt !== null,
    };
  }

  /** Get started without an account: creates it (the link proved the address) and joins. */
  async setUp(token: string, input: { name: string; password: string }, ip: string | null): Promise<{ userId: string; orgId: string; conversationId: string }> {
    const invite = await this.usable(token);
    if (await this.db.prisma.user.findUnique({ where: { email: invite.email }, select: { id: true } })) {
      throw new TRPCError({ code: 'CONFLICT', message: `${invite.email} already has a CareText account: sign in to continue.` });
    }
    const passwordHash = await hashPassword(input.password);
    return this.join(invite, ip, async (tx) => (await tx.user.create({ data: { email: invite.email, name: input.name.trim(), passwordHash }, select: { id: true } })).id);
  }

  /** Get started signed in, with the account of the invited address. */
  async accept(token: string, user: { id: string; email: string }, ip: string | null): Promise<{ userId: string; orgId: string; conversationId: string }> {
    const invite = await this.usable(token);
    if (invite.email !== user.email.toLowerCase()) {
      throw new TRPCError({ code: 'FORBIDDEN', message: `This invitation was sent to ${invite.email}. Sign in with that email to continue.` });
    }
    return this.join(invite, ip, async () => user.id);
  }

  /** An invitation whose mail went out, unexpired and unused. */
  private async usable(token: string) {
    const invite = await this.db.prisma.externalInvite.findUnique({ where: { tokenHash: hashToken(token) } });
    if (!invite || !invite.expiresAt) throw new TRPCError({ code: 'NOT_FOUND', message: INVALID });
    if (invite.acceptedAt) throw new TRPCError({ code: 'BAD_REQUEST', message: 'This invitation was already used. Sign in to see the conversation.' });
    if (invite.expiresAt <= this.clock.now()) throw new TRPCError({ code: 'BAD_REQUEST', message: 'This invitation has expired. Ask the person who wrote to you to send a new message.' });
    return invite;
  }

  private async join(invite: { id: string; orgId: string; conversationId: string; email: string }, ip: string | null, userOf: (tx: Prisma.TransactionClient) => Promise<string>) {
    const now = this.clock.now();
    const userId = await this.db.prisma.$transaction(async (tx) => {
      // Claimed once: two clicks (or tabs) join once.
      const claimed = await tx.externalInvite.updateMany({ where: { id: invite.id, acceptedAt: null }, data: { acceptedAt: now } });
      if (claimed.count !== 1) throw new TRPCError({ code: 'BAD_REQUEST', message: 'This invitation was already used. Sign in to see the conversation.' });
      const userId = await userOf(tx);
      await tx.externalInvite.update({ where: { id: invite.id }, data: { acceptedById: userId } });
      // Someone already in the org (any role) keeps their role; anyone else joins as external (no seat).
      await tx.membership.upsert({ where: { orgId_userId: { orgId: invite.orgId, userId } }, create: { orgId: invite.orgId, userId, role: EXTERNAL, createdAt: now }, update: {} });
      await tx.conversationParticipant.upsert({
        where: { conversationId_userId: { conversationId: invite.conversationId, userId } },
        create: { conversationId: invite.conversationId, userId, createdAt: now },
        update: {},
      });
      await this.audit.record({ orgId: invite.orgId, userId, ip }, { action: 'external.joined', summary: `${invite.email} joined an internal chat from outside the organization`, targetType: 'conversation', targetId: invite.conversationId }, tx);
      return userId;
    });
    const conversation = await this.db.prisma.conversation.findUniqueOrThrow({ where: { id: invite.conversationId }, select: { teamId: true, kind: true } });
    if (conversation.kind === INTERNAL) {
      this.events.publish(invite.orgId, { type: 'conversation.updated', teamId: conversation.teamId, conversationId: invite.conversationId, patientId: null, conversation: { participantsChanged: true } });
    }
    this.events.publish(invite.orgId, { type: 'members.changed' });
    return { userId, orgId: invite.orgId, conversationId: invite.conversationId };
  }

  /** The invitations not accepted yet of these conversations (the thread header and inbox rows). */
  async pendingOf(conversationIds: string[]): Promise<Map<string, { email: string; sent: boolean; expired: boolean }[]>> {
    const rows = conversationIds.length
      ? await this.db.prisma.externalInvite.findMany({ where: { conversationId: { in: conversationIds }, acceptedAt: null }, orderBy: { createdAt: 'asc' }, select: { conversationId: true, email: true, sentAt: true, expiresAt: true } })
      : [];
    const now = this.clock.now();
    const by = new Map<string, { email: string; sent: boolean; expired: boolean }[]>();
    for (const r of rows) by.set(r.conversationId, [...(by.get(r.conversationId) ?? []), { email: r.email, sent: r.sentAt !== null, expired: r.expiresAt !== null && r.expiresAt <= now }]);
    return by;
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
