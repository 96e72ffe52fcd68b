import { Inject, Injectable } from '@nestjs/common';
import { TRPCError } from '@trpc/server';
import type { Actor } from '../access/access.service.js';
import { AuditService } from '../audit/audit.service.js';
import { hashToken, newSecretToken } from '../auth/tokens.js';
import { BillingService } from '../billing/billing.service.js';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import { EventBus } from '../events/event-bus.js';
import { MailService } from '../mail/mail.service.js';
import { CONFIG, DATABASE } from '../injection-tokens.js';
import { CLOCK, type Clock } from '../clock.js';

const INVITE_DAYS = 7;
type AssignableRole = 'owner' | 'admin' | 'member';

@Injectable()
export class MembersService {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly audit: AuditService,
    private readonly billing: BillingService,
    private readonly mail: MailService,
    private readonly events: EventBus,
  ) {}

  async list(actor: Actor) {
    const rows = await this.db.prisma.membership.findMany({
      where: { orgId: actor.orgId },
      include: {
        user: {
          select: {
            id: true,
            name: true,
            email: true,
            teamMembers: { where: { team: { orgId: actor.orgId } }, select: { team: { select: { id: true, name: true } } } },
          },
        },
      },
      orderBy: { createdAt: 'asc' },
    });
    return rows.map((m) => ({
      id: m.id,
      role: m.role,
      joinedAt: m.createdAt,
      user: { id: m.user.id, name: m.user.name, email: m.user.email },
      teams: m.user.teamMembers.map((t) => t.team),
      isMe: m.userId === actor.userId,
    }));
  }

  async invite(actor: Actor, input: { email: string; role: 'admin' | 'member' }) {
    const org = await this.db.prisma.org.findUniqueOrThrow({ where: { id: actor.orgId } });
    const existingMember = await this.db.prisma.membership.findFirst({
      where: { orgId: actor.orgId, user: { email: input.email } },
    });
    if (existingMember) throw new TRPCError({ code: 'CONFLICT', message: `${input.email} is already a member.` });
    const inviter = await this.db.prisma.user.findUniqueOrThrow({ where: { id: actor.userId } });
    const { token, hash } = newSecretToken();
    const now = this.clock.now();
    const invite = await this.db.prisma.$transaction(async (tx) => {
      // Inviting again replaces the pending invite: the old link stops working.
      await tx.invite.updateMany({
        where: { orgId: actor.orgId, email: input.email, acceptedAt: null, revokedAt: null },
        data: { revokedAt: now },
      });
      const created = await tx.invite.create({
        data: {
          orgId: actor.orgId,
          email: input.email,
          role: input.role,
          tokenHash: hash,
          invitedById: actor.userId,
          expiresAt: new Date(now.getTime() + INVITE_DAYS * 86_400_000),
        },
      });
      await this.audit.record(
        actor,
        { action: 'member.invited', summary: `Invited ${input.email} as ${input.role}`, targetType: 'invite', targetId: created.id, data: { email: input.email, role: input.role } },
        tx,
      );
      return created;
    });
    const link = `${this.config.publicUrl}/invite/${token}`;
    await this.mail.send({
      to: input.email,
      subject: `${inviter.name} invited you to ${org.name} on CareText`,
      text: `${inviter.name} invited you to join ${org.name} on CareText as ${input.role === 'admin' ? 'an admin' : 'a member'}.\n\nAccept the invitation (the link works for ${INVITE_DAYS} days):\n${link}\n`,
      html: `<p>${escapeHtml(inviter.name)} invited you to join <b>${escapeHtml(org.name)}</b> on CareText.</p><p><a href="${link}">Accept the invitation</a> (valid for ${INVITE_DAYS} days)</p>`,
      tag: { kind: 'invite', orgId: actor.orgId },
    });
    this.events.publish(actor.orgId, { type: 'members.changed' });
    return { id: invite.id, email: invite.email, role: invite.role, expiresAt: invite.expiresAt };
  }

  async listInvites(actor: Actor) {
    const rows = await this.db.prisma.invite.findMany({
      where: { orgId: actor.orgId, acceptedAt: null, revokedAt: null },
      include: { invitedBy: { select: { name: true } } },
      orderBy: { createdAt: 'desc' },
    });
    const now = this.clock.now();
    return rows.map((i) => ({
      id: i.id,
      email: i.email,
      role: i.role,
      invitedBy: i.invitedBy.name,
      createdAt: i.createdAt,
      expiresAt: i.expiresAt,
      expired: i.expiresAt <= now,
    }));
  }

  async revokeInvite(actor: Actor, inviteId: string) {
    const invite = await this.db.prisma.invite.findFirst({ where: { id: inviteId, orgId: actor.orgId, acceptedAt: null, revokedAt: null } });
    if (!invite) throw new TRPCError({ code: 'NOT_FOUND', message: 'Invite not found.' });
    await this.db.prisma.$transaction(async (tx) => {
      await tx.invite.update({ where: { id: invite.id }, data: { revokedAt: this.clock.now() } });
      await this.audit.record(actor, { action: 'invite.revoked', summary: `Revoked the invite for ${invite.email}`, targetType: 'invite', targetId: invite.id }, tx);
    });
    this.events.publish(actor.orgId, { type: 'members.changed' });
  }

  /** What the invite page shows before signing in; reveals nothing without the secret link. */
  async inviteInfo(token: string) {
    const invite = await this.db.prisma.invite.findUnique({
      where: { tokenHash: hashToken(token) },
      include: { org: { select: { name: true } }, invitedBy: { select: { name: true } } },
    });
    if (!invite || invite.revokedAt) throw new TRPCError({ code: 'NOT_FOUND', message: 'This invite link is not valid. Ask your admin for a new one.' });
    return {
      orgName: invite.org.name,
      email: invite.email,
      role: invite.role,
      invitedBy: invite.invitedBy.name,
      expired: invite.expiresAt <= this.clock.now(),
      accepted: invite.acceptedAt !== null,
    };
  }

  async acceptInvite(user: { id: string; email: string }, token: string, ip: string | null) {
    const invite = await this.db.prisma.invite.findUnique({ where: { tokenHash: hashToken(token) }, include: { org: true } });
    const now = this.clock.now();
    if (!invite || invite.revokedAt) throw new TRPCError({ code: 'NOT_FOUND', message: 'This invite link is not valid. Ask your admin for a new one.' });
    if (invite.acceptedAt) throw new TRPCError({ code: 'BAD_REQUEST', message: 'This invite was already used.' });
    if (invite.expiresAt <= now) throw new TRPCError({ code: 'BAD_REQUEST', message: 'This invite has expired. Ask your admin to send a new one.' });
    if (invite.email !== user.email.toLowerCase()) {
      throw new TRPCError({ code: 'FORBIDDEN', message: `This invite was sent to ${invite.email}. Sign in with that email to accept it.` });
    }
    await this.db.prisma.$transaction(async (tx) => {
      await tx.invite.update({ where: { id: invite.id }, data: { acceptedAt: now } });
      await tx.membership.upsert({
        where: { orgId_userId: { orgId: invite.orgId, userId: user.id } },
        create: { orgId: invite.orgId, userId: user.id, role: invite.role },
        update: {},
      });
      await tx.joinRequest.deleteMany({ where: { orgId: invite.orgId, userId: user.id } });
      await this.audit.record(
        { orgId: invite.orgId, userId: user.id, ip },
        { action: 'invite.accepted', summary: `${user.email} joined as ${invite.role}`, targetType: 'invite', targetId: invite.id },
        tx,
      );
    });
    await this.billing.syncSeats(invite.orgId);
    this.events.publish(invite.orgId, { type: 'members.changed' });
    return { orgId: invite.orgId, orgName: invite.org.name };
  }

  async listJoinRequests(actor: Actor) {
    const rows = await this.db.prisma.joinRequest.findMany({
      where: { orgId: actor.orgId, status: 'pending' },
      include: { user: { select: { id: true, name: true, email: true } } },
      orderBy: { createdAt: 'asc' },
    });
    return rows.map((r) => ({ id: r.id, user: r.user, message: r.message, createdAt: r.createdAt }));
  }

  async decideJoinRequest(actor: Actor, requestId: string, decision: 'approve' | 'reject', role: 'admin' | 'member' = 'member') {
    const request = await this.db.prisma.joinRequest.findFirst({
      where: { id: requestId, orgId: actor.orgId, status: 'pending' },
      include: { user: true },
    });
    if (!request) throw new TRPCError({ code: 'NOT_FOUND', message: 'Join request not found.' });
    await this.db.prisma.$transaction(async (tx) => {
      await tx.joinRequest.update({
        where: { id: request.id },
        data: { status: decision === 'approve' ? 'approved' : 'rejected', decidedById: actor.userId, decidedAt: this.clock.now() },
      });
      if (decision === 'approve') {
        await tx.membership.upsert({
          where: { orgId_userId: { orgId: actor.orgId, userId: request.userId } },
          create: { orgId: actor.orgId, userId: request.userId, role },
          update: {},
        });
      }
      await this.audit.record(
        actor,
        {
          action: decision === 'approve' ? 'join.approved' : 'join.rejected',
          summary: decision === 'approve' ? `Approved ${request.user.email} as ${role}` : `Rejected ${request.user.email}`,
          targetType: 'user',
          targetId: request.userId,
        },
        tx,
      );
    });
    if (decision === 'approve') await this.billing.syncSeats(actor.orgId);
    this.events.publish(actor.orgId, { type: 'members.changed' });
  }

  private async findMember(actor: Actor, membershipId: string) {
    const member = await this.db.prisma.membership.findFirst({
      where: { id: membershipId, orgId: actor.orgId },
      include: { user: { select: { email: true, name: true } } },
    });
    if (!member) throw new TRPCError({ code: 'NOT_FOUND', message: 'Member not found.' });
    return member;
  }

  private async assertNotLastOwner(orgId: string, member: { role: string }) {
    if (member.role !== 'owner') return;
    const owners = await this.db.prisma.membership.count({ where: { orgId, role: 'owner' } });
    if (owners <= 1) {
      throw new TRPCError({ code: 'BAD_REQUEST', message: 'The organization needs at least one owner. Make someone else owner first.' });
    }
  }

  async changeRole(actor: Actor, membershipId: string, role: AssignableRole) {
    const member = await this.findMember(actor, membershipId);
    if (member.userId === actor.userId) throw new TRPCError({ code: 'BAD_REQUEST', message: 'You cannot change your own role. Ask another admin.' });
    if ((member.role === 'owner' || role === 'owner') && actor.role !== 'owner') {
      throw new TRPCError({ code: 'FORBIDDEN', message: 'Only an owner can grant or take away the owner role.' });
    }
    if (member.role === role) return;
    await this.assertNotLastOwner(actor.orgId, member);
    await this.db.prisma.$transaction(async (tx) => {
      await tx.membership.update({ where: { id: member.id }, data: { role } });
      await this.audit.record(
        actor,
        {
          action: 'member.role_changed',
          summary: `Changed ${member.user.email} from ${member.role} to ${role}`,
          targetType: 'user',
          targetId: member.userId,
          data: { from: member.role, to: role },
        },
        tx,
      );
    });
    this.events.publish(actor.orgId, { type: 'members.changed' });
  }

  /** Access ends at once: the next request and any open live subscription are refused. */
  async remove(actor: Actor, membershipId: string) {
    const member = await this.findMember(actor, membershipId);
    if (member.userId === actor.userId) throw new TRPCError({ code: 'BAD_REQUEST', message: 'To leave the organization, use Leave instead.' });
    if (member.role === 'owner' && actor.role !== 'owner') {
      throw new TRPCError({ code: 'FORBIDDEN', message: 'Only an owner can remove an owner.' });
    }
    await this.assertNotLastOwner(actor.orgId, member);
    await this.removeMembership(actor, member, 'member.removed', `Removed ${member.user.email}`);
  }

  async leave(actor: Actor) {
    const member = await this.findMember(actor, actor.membershipId);
    await this.assertNotLastOwner(actor.orgId, member);
    await this.removeMembership(actor, member, 'member.left', `${member.user.email} left the organization`);
  }

  private async removeMembership(
    actor: Actor,
    member: { id: string; userId: string; role: string },
    action: 'member.removed' | 'member.left',
    summary: string,
  ) {
    await this.db.prisma.$transaction(async (tx) => {
      await tx.teamMember.deleteMany({ where: { userId: member.userId, team: { orgId: actor.orgId } } });
      // Out of the org's internal chats too, like its teams: invited back, they start afresh.
      await tx.conversationParticipant.deleteMany({ where: { userId: member.userId, conversation: { orgId: actor.orgId } } });
      await tx.membership.delete({ where: { id: member.id } });
      await this.audit.record(actor, { action, summary, targetType: 'user', targetId: member.userId, data: { role: member.role } }, tx);
    });
    await this.billing.syncSeats(actor.orgId);
    this.events.publish(actor.orgId, { type: 'access.revoked', userId: member.userId });
    this.events.publish(actor.orgId, { type: 'members.changed' });
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
