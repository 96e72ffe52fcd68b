import { Inject, Injectable } from '@nestjs/common';
import { TRPCError } from '@trpc/server';
import { type Actor, isExternal } from '../access/access.service.js';
import { AuditService } from '../audit/audit.service.js';
import type { Database } from '../db/database.js';
import { EventBus } from '../events/event-bus.js';
import { Prisma } from '../generated/prisma/client.js';
import { DATABASE } from '../injection-tokens.js';

@Injectable()
export class TeamsService {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly audit: AuditService,
    private readonly events: EventBus,
  ) {}

  async list(actor: Actor) {
    const teams = await this.db.prisma.team.findMany({
      where: { orgId: actor.orgId },
      include: { members: { include: { user: { select: { id: true, name: true, email: true } } }, orderBy: { createdAt: 'asc' } } },
      orderBy: { name: 'asc' },
    });
    return teams.map((t) => ({
      id: t.id,
      name: t.name,
      createdAt: t.createdAt,
      members: t.members.map((m) => m.user),
      isMine: t.members.some((m) => m.userId === actor.userId),
    }));
  }

  private async findTeam(actor: Actor, teamId: string) {
    const team = await this.db.prisma.team.findFirst({ where: { id: teamId, orgId: actor.orgId } });
    if (!team) throw new TRPCError({ code: 'NOT_FOUND', message: 'Team not found.' });
    return team;
  }

  async create(actor: Actor, name: string) {
    try {
      const team = await this.db.prisma.$transaction(async (tx) => {
        const created = await tx.team.create({ data: { orgId: actor.orgId, name } });
        await this.audit.record(actor, { action: 'team.created', summary: `Created the team ${name}`, targetType: 'team', targetId: created.id }, tx);
        return created;
      });
      this.events.publish(actor.orgId, { type: 'teams.changed' });
      return { id: team.id, name: team.name };
    } catch (error) {
      throw duplicateName(error, name);
    }
  }

  async rename(actor: Actor, teamId: string, name: string) {
    const team = await this.findTeam(actor, teamId);
    if (team.name === name) return;
    try {
      await this.db.prisma.$transaction(async (tx) => {
        await tx.team.update({ where: { id: team.id }, data: { name } });
        await this.audit.record(actor, { action: 'team.renamed', summary: `Renamed the team ${team.name} to ${name}`, targetType: 'team', targetId: team.id }, tx);
      });
    } catch (error) {
      throw duplicateName(error, name);
    }
    this.events.publish(actor.orgId, { type: 'teams.changed' });
  }

  async delete(actor: Actor, teamId: string) {
    const team = await this.findTeam(actor, teamId);
    const numbers = await this.db.prisma.phoneNumber.count({ where: { teamId: team.id } });
    if (numbers) {
      throw new TRPCError({ code: 'CONFLICT', message: `${team.name} has a phone number (or its message history). Move the number to another team under Directory → Phone numbers first.` });
    }
    await this.db.prisma.$transaction(async (tx) => {
      await tx.team.delete({ where: { id: team.id } });
      await this.audit.record(actor, { action: 'team.deleted', summary: `Deleted the team ${team.name}`, targetType: 'team', targetId: team.id }, tx);
    });
    this.events.publish(actor.orgId, { type: 'teams.changed' });
  }

  async addMember(actor: Actor, teamId: string, userId: string) {
    const team = await this.findTeam(actor, teamId);
    const member = await this.db.prisma.membership.findUnique({
      where: { orgId_userId: { orgId: actor.orgId, userId } },
      include: { user: { select: { email: true } } },
    });
    if (!member) throw new TRPCError({ code: 'NOT_FOUND', message: 'That person is not a member of this organization.' });
    if (isExternal(member.role)) throw new TRPCError({ code: 'BAD_REQUEST', message: `${member.user.email} is from outside the organization: external collaborators join chats, not teams.` });
    const exists = await this.db.prisma.teamMember.findUnique({ where: { teamId_userId: { teamId: team.id, userId } } });
    if (exists) return;
    await this.db.prisma.$transaction(async (tx) => {
      await tx.teamMember.create({ data: { teamId: team.id, userId } });
      await this.audit.record(actor, { action: 'team.member_added', summary: `Added ${member.user.email} to ${team.name}`, targetType: 'team', targetId: team.id, data: { userId } }, tx);
    });
    this.events.publish(actor.orgId, { type: 'teams.changed' });
  }

  async removeMember(actor: Actor, teamId: string, userId: string) {
    const team = await this.findTeam(actor, teamId);
    const row = await this.db.prisma.teamMember.findUnique({
      where: { teamId_userId: { teamId: team.id, userId } },
      include: { user: { select: { email: true } } },
    });
    if (!row) throw new TRPCError({ code: 'NOT_FOUND', message: 'That person is not on this team.' });
    await this.db.prisma.$transaction(async (tx) => {
      await tx.teamMember.delete({ where: { teamId_userId: { teamId: team.id, userId } } });
      await this.audit.record(actor, { action: 'team.member_removed', summary: `Removed ${row.user.email} from ${team.name}`, targetType: 'team', targetId: team.id, data: { userId } }, tx);
    });
    this.events.publish(actor.orgId, { type: 'teams.changed' });
  }
}

function duplicateName(error: unknown, name: string): unknown {
  if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
    return new TRPCError({ code: 'CONFLICT', message: `A team named "${name}" already exists.` });
  }
  return error;
}
