import { TRPCError } from '@trpc/server';
import type { Actor } from '../access/access.service.js';
import type { AuditService } from '../audit/audit.service.js';
import type { Database } from '../db/database.js';
import { normalizeEhrOrigin } from './ehr-origin-pattern.js';

const MAX_ORIGINS = 50;

/**
 * The EHR origins an organization's admins approved. The extension injects nothing, reads
 * nothing and looks nobody up anywhere else; every change is audited.
 */
/** Made by EhrAdaptersService (not a Nest provider of its own). */
export class EhrOriginsService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
  ) {}

  async list(actor: Actor) {
    const rows = await this.db.prisma.ehrOrigin.findMany({ where: { orgId: actor.orgId }, orderBy: { pattern: 'asc' } });
    return rows.map((o) => ({ id: o.id, pattern: o.pattern, createdAt: o.createdAt }));
  }

  async add(actor: Actor, typed: string) {
    const normalized = normalizeEhrOrigin(typed);
    if ('error' in normalized) throw new TRPCError({ code: 'BAD_REQUEST', message: normalized.error });
    const { pattern } = normalized;
    if ((await this.db.prisma.ehrOrigin.count({ where: { orgId: actor.orgId } })) >= MAX_ORIGINS) {
      throw new TRPCError({ code: 'BAD_REQUEST', message: `At most ${MAX_ORIGINS} EHR origins; remove one you no longer use.` });
    }
    const existing = await this.db.prisma.ehrOrigin.findFirst({ where: { orgId: actor.orgId, pattern } });
    if (existing) return { id: existing.id, pattern };
    const row = await this.db.prisma.$transaction(async (tx) => {
      const created = await tx.ehrOrigin.create({ data: { orgId: actor.orgId, pattern, createdById: actor.userId } });
      await this.audit.record(actor, { action: 'ehr_origin.changed', summary: `Approved the EHR origin ${pattern}`, targetType: 'ehrOrigin', targetId: created.id }, tx);
      return created;
    });
    return { id: row.id, pattern };
  }

  async remove(actor: Actor, originId: string) {
    const existing = await this.db.prisma.ehrOrigin.findFirst({ where: { id: originId, orgId: actor.orgId } });
    if (!existing) throw new TRPCError({ code: 'NOT_FOUND', message: 'That EHR origin is not approved in this organization.' });
    await this.db.prisma.$transaction(async (tx) => {
      await tx.ehrOrigin.delete({ where: { id: existing.id } });
      await this.audit.record(actor, { action: 'ehr_origin.changed', summary: `Removed the EHR origin ${existing.pattern}`, targetType: 'ehrOrigin', targetId: existing.id }, tx);
    });
  }
}
