import { Inject, Injectable } from '@nestjs/common';
import { unknownTokens } from '@caretext/shared';
import { TRPCError } from '@trpc/server';
import { AccessService, type Actor, isAdmin } from '../access/access.service.js';
import { AuditService } from '../audit/audit.service.js';
import type { Database } from '../db/database.js';
import { DATABASE } from '../injection-tokens.js';

/** Message templates: org-wide ones are managed by admins, a team's by its members. */
@Injectable()
export class TemplatesService {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly access: AccessService,
    private readonly audit: AuditService,
  ) {}

  async list(actor: Actor, teamId?: string) {
    const teamIds = await this.access.teamIdsFor(actor);
    const rows = await this.db.prisma.template.findMany({
      where: { orgId: actor.orgId, OR: [{ teamId: null }, { teamId: teamId ? (teamIds.includes(teamId) ? teamId : '__none__') : { in: teamIds } }] },
      include: { team: { select: { id: true, name: true } } },
      orderBy: [{ teamId: { sort: 'asc', nulls: 'first' } }, { name: 'asc' }],
    });
    return rows.map((t) => ({ id: t.id, name: t.name, body: t.body, requestsConfirmation: t.requestsConfirmation, team: t.team, updatedAt: t.updatedAt }));
  }

  private async assertCanEdit(actor: Actor, teamId: string | null) {
    if (teamId) await this.access.requireTeamMember(actor, teamId);
    else if (!isAdmin(actor.role)) throw new TRPCError({ code: 'FORBIDDEN', message: 'Only admins can change organization-wide templates.' });
  }

  private validate(body: string) {
    const unknown = unknownTokens(body);
    if (unknown.length) throw new TRPCError({ code: 'BAD_REQUEST', message: `Unknown token${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}` });
  }

  async save(actor: Actor, input: { templateId?: string; teamId: string | null; name: string; body: string; requestsConfirmation?: boolean }) {
    this.validate(input.body);
    await this.assertCanEdit(actor, input.teamId);
    if (input.templateId) {
      const existing = await this.db.prisma.template.findFirst({ where: { id: input.templateId, orgId: actor.orgId } });
      if (!existing) throw new TRPCError({ code: 'NOT_FOUND', message: 'Template not found.' });
      await this.assertCanEdit(actor, existing.teamId);
    }
    try {
      const saved = await this.db.prisma.$transaction(async (tx) => {
        const data = { name: input.name, body: input.body, teamId: input.teamId, requestsConfirmation: input.requestsConfirmation };
        const row = input.templateId
          ? await tx.template.update({ where: { id: input.templateId }, data })
          : await tx.template.create({ data: { ...data, orgId: actor.orgId, createdById: actor.userId } });
        await this.audit.record(actor, { action: 'template.changed', summary: `${input.templateId ? 'Edited' : 'Created'} the template "${input.name}"`, targetType: 'template', targetId: row.id }, tx);
        return row;
      });
      return { id: saved.id };
    } catch (error) {
      if ((error as { code?: string }).code === 'P2002') throw new TRPCError({ code: 'CONFLICT', message: `A template named "${input.name}" already exists.` });
      throw error;
    }
  }

  async delete(actor: Actor, templateId: string) {
    const existing = await this.db.prisma.template.findFirst({ where: { id: templateId, orgId: actor.orgId } });
    if (!existing) throw new TRPCError({ code: 'NOT_FOUND', message: 'Template not found.' });
    await this.assertCanEdit(actor, existing.teamId);
    await this.db.prisma.$transaction(async (tx) => {
      await tx.template.delete({ where: { id: existing.id } });
      await this.audit.record(actor, { action: 'template.changed', summary: `Deleted the template "${existing.name}"`, targetType: 'template', targetId: existing.id }, tx);
    });
  }
}
