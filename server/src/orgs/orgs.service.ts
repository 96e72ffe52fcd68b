import { randomInt } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { OrgPolicies, OrgReplies } from '@caretext/shared';
import { TRPCError } from '@trpc/server';
import { type Actor, isExternal } from '../access/access.service.js';
import { AuditService } from '../audit/audit.service.js';
import type { Database } from '../db/database.js';
import { EventBus } from '../events/event-bus.js';
import { DATABASE } from '../injection-tokens.js';

// No 0/O/1/I: the code is read aloud and typed by coworkers.
const JOIN_CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
export function newJoinCode(): string {
  return Array.from({ length: 8 }, () => JOIN_CODE_ALPHABET[randomInt(JOIN_CODE_ALPHABET.length)]).join('');
}

@Injectable()
export class OrgsService {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly audit: AuditService,
    private readonly events: EventBus,
  ) {}

  /** The creator becomes the owner; a first team is made so messaging has somewhere to live. */
  async create(userId: string, input: { name: string; timeZone: string }, ip: string | null) {
    return this.db.prisma.$transaction(async (tx) => {
      const org = await tx.org.create({ data: { name: input.name, timeZone: input.timeZone, joinCode: newJoinCode() } });
      await tx.membership.create({ data: { orgId: org.id, userId, role: 'owner' } });
      await this.audit.record(
        { orgId: org.id, userId, ip },
        { action: 'org.created', summary: `Created the organization ${org.name}`, targetType: 'org', targetId: org.id },
        tx,
      );
      return org;
    });
  }

  async get(actor: Actor) {
    const org = await this.db.prisma.org.findUniqueOrThrow({ where: { id: actor.orgId } });
    // An external collaborator sees the org's name and nothing of its settings or policies.
    if (isExternal(actor.role)) {
      return { id: org.id, name: org.name, timeZone: org.timeZone, plan: null, smsEnabled: false, createdAt: org.createdAt, myRole: actor.role, policies: null, confirmationWords: null };
    }
    return {
      id: org.id,
      name: org.name,
      timeZone: org.timeZone,
      plan: org.plan,
      smsEnabled: org.smsEnabled,
      createdAt: org.createdAt,
      myRole: actor.role,
      policies: policiesOf(org),
      /** The words a confirmation request asks for (Settings → Automatic replies): composers show the text it adds. */
      confirmationWords: { confirm: org.confirmKeywords, decline: org.declineKeywords },
    };
  }

  async update(actor: Actor, input: { name: string; timeZone: string }) {
    const before = await this.db.prisma.org.findUniqueOrThrow({ where: { id: actor.orgId } });
    const org = await this.db.prisma.$transaction(async (tx) => {
      const updated = await tx.org.update({ where: { id: actor.orgId }, data: input });
      await this.audit.record(
        actor,
        {
          action: 'org.updated',
          summary: describeChanges({ name: before.name, timeZone: before.timeZone }, input),
          targetType: 'org',
          targetId: actor.orgId,
          data: { before: { name: before.name, timeZone: before.timeZone }, after: input },
        },
        tx,
      );
      return updated;
    });
    this.events.publish(actor.orgId, { type: 'org.changed' });
    return { id: org.id, name: org.name, timeZone: org.timeZone };
  }

  async updatePolicies(actor: Actor, policies: OrgPolicies) {
    const before = policiesOf(await this.db.prisma.org.findUniqueOrThrow({ where: { id: actor.orgId } }));
    const after = { ...policies, idleTimeoutMinutes: policies.idleTimeoutMinutes ?? before.idleTimeoutMinutes };
    const summary = describeChanges(before, after);
    await this.db.prisma.$transaction(async (tx) => {
      await tx.org.update({ where: { id: actor.orgId }, data: policies });
      await this.audit.record(
        actor,
        { action: 'policy.changed', summary, targetType: 'org', targetId: actor.orgId, data: { before, after } },
        tx,
      );
    });
    this.events.publish(actor.orgId, { type: 'org.changed' });
    return after;
  }

  async replies(actor: Actor) {
    const org = await this.db.prisma.org.findUniqueOrThrow({ where: { id: actor.orgId } });
    return {
      helpReply: org.helpReply,
      contactPhone: org.contactPhone,
      confirmKeywords: org.confirmKeywords,
      declineKeywords: org.declineKeywords,
      confirmAckReply: org.confirmAckReply,
      declineAckReply: org.declineAckReply,
    } satisfies OrgReplies;
  }

  async updateReplies(actor: Actor, input: OrgReplies) {
    const before = await this.replies(actor);
    const data = {
      ...input,
      helpReply: input.helpReply || null,
      contactPhone: input.contactPhone || null,
      // Not sent (an older client): unchanged. Empty: no acknowledgement.
      confirmAckReply: input.confirmAckReply ?? before.confirmAckReply,
      declineAckReply: input.declineAckReply ?? before.declineAckReply,
    };
    await this.db.prisma.$transaction(async (tx) => {
      await tx.org.update({ where: { id: actor.orgId }, data });
      const summary = describeChanges(
        { ...before, confirmKeywords: before.confirmKeywords.join(' '), declineKeywords: before.declineKeywords.join(' ') },
        { ...data, confirmKeywords: data.confirmKeywords.join(' '), declineKeywords: data.declineKeywords.join(' ') },
      );
      await this.audit.record(actor, { action: 'policy.changed', summary: `Automatic replies: ${summary}`, targetType: 'org', targetId: actor.orgId }, tx);
    });
    return this.replies(actor);
  }

  async joinCode(actor: Actor) {
    const org = await this.db.prisma.org.findUniqueOrThrow({ where: { id: actor.orgId } });
    return { joinCode: org.joinCode };
  }

  async regenerateJoinCode(actor: Actor) {
    const joinCode = newJoinCode();
    await this.db.prisma.$transaction(async (tx) => {
      await tx.org.update({ where: { id: actor.orgId }, data: { joinCode } });
      await this.audit.record(actor, { action: 'joincode.regenerated', summary: 'Regenerated the join code' }, tx);
    });
    return { joinCode };
  }

  /** A signed-in user asks to join by the code a coworker gave them; admins approve. */
  async requestToJoin(userId: string, joinCode: string, message: string | undefined, ip: string | null) {
    const org = await this.db.prisma.org.findUnique({ where: { joinCode: joinCode.trim().toUpperCase() } });
    if (!org) throw new TRPCError({ code: 'NOT_FOUND', message: 'No organization has this join code. Check it with your admin.' });
    const member = await this.db.prisma.membership.findUnique({ where: { orgId_userId: { orgId: org.id, userId } } });
    if (member) throw new TRPCError({ code: 'CONFLICT', message: `You are already a member of ${org.name}.` });
    const user = await this.db.prisma.user.findUniqueOrThrow({ where: { id: userId } });
    await this.db.prisma.$transaction(async (tx) => {
      const request = await tx.joinRequest.upsert({
        where: { orgId_userId: { orgId: org.id, userId } },
        create: { orgId: org.id, userId, message },
        update: { status: 'pending', message, decidedAt: null, decidedById: null },
      });
      await this.audit.record(
        { orgId: org.id, userId, ip },
        { action: 'join.requested', summary: `${user.name} <${user.email}> asked to join`, targetType: 'joinRequest', targetId: request.id },
        tx,
      );
    });
    this.events.publish(org.id, { type: 'members.changed' });
    return { orgName: org.name, status: 'pending' as const };
  }

  async myJoinRequests(userId: string) {
    const rows = await this.db.prisma.joinRequest.findMany({
      where: { userId },
      include: { org: { select: { name: true } } },
      orderBy: { createdAt: 'desc' },
    });
    return rows.map((r) => ({ id: r.id, orgName: r.org.name, status: r.status, createdAt: r.createdAt }));
  }
}

export function policiesOf(org: Required<OrgPolicies>): Required<OrgPolicies> {
  return {
    secureLinkExpiryHours: org.secureLinkExpiryHours,
    quietHoursEnabled: org.quietHoursEnabled,
    quietHoursStart: org.quietHoursStart,
    quietHoursEnd: org.quietHoursEnd,
    smsAllowed: org.smsAllowed,
    externalChatAllowed: org.externalChatAllowed,
    idleTimeoutMinutes: org.idleTimeoutMinutes,
  };
}

/** "timeZone: America/New_York -> America/Chicago" for the audit log. */
export function describeChanges<T extends Record<string, unknown>>(before: T, after: T): string {
  const changed = Object.keys(after).filter((key) => before[key] !== after[key]);
  if (changed.length === 0) return 'Saved with no changes';
  return changed.map((key) => `${key}: ${String(before[key])} -> ${String(after[key])}`).join(', ');
}
