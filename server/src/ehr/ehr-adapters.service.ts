import type { AdapterRowSelectors, AdapterSelectors } from '@caretext/shared';
import { Inject, Injectable } from '@nestjs/common';
import { TRPCError } from '@trpc/server';
import { type Actor, isAdmin } from '../access/access.service.js';
import { AuditService } from '../audit/audit.service.js';
import type { Database } from '../db/database.js';
import { Prisma } from '../generated/prisma/client.js';
import { DATABASE } from '../injection-tokens.js';
import { EhrOriginsService } from './ehr-origins.service.js';

/**
 * Admin-defined EHR adapters: a URL pattern and a CSS selector per field. Extensions fetch the
 * published ones on sync, so a clinic can support its EHR without an extension release.
 */
@Injectable()
export class EhrAdaptersService {
  /** The approved EHR origins ride along with the adapters (same router, same sync). */
  readonly origins: EhrOriginsService;

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly audit: AuditService,
  ) {
    this.origins = new EhrOriginsService(db, audit);
  }

  /** Members (the extension) get the published adapters; admins also see drafts. */
  async list(actor: Actor) {
    const rows = await this.db.prisma.ehrAdapter.findMany({
      where: { orgId: actor.orgId, ...(isAdmin(actor.role) ? {} : { published: true }) },
      orderBy: { name: 'asc' },
    });
    return rows.map((a) => ({
      id: a.id,
      name: a.name,
      urlPattern: a.urlPattern,
      selectors: a.selectors as AdapterSelectors,
      rows: (a.rowSelectors as AdapterRowSelectors | null) ?? null,
      published: a.published,
      updatedAt: a.updatedAt,
    }));
  }

  async save(actor: Actor, input: { adapterId?: string; name: string; urlPattern: string; selectors: AdapterSelectors; rows?: AdapterRowSelectors | null; published: boolean }) {
    if (input.adapterId && !(await this.db.prisma.ehrAdapter.findFirst({ where: { id: input.adapterId, orgId: actor.orgId } }))) {
      throw new TRPCError({ code: 'NOT_FOUND', message: 'Adapter not found.' });
    }
    const rows = input.rows?.row ? input.rows : null;
    if (rows && !Object.values(rows.fields).some(Boolean)) throw new TRPCError({ code: 'BAD_REQUEST', message: 'Give a selector for at least one field of the patient list’s rows.' });
    if (!Object.values(input.selectors).some(Boolean) && !rows) throw new TRPCError({ code: 'BAD_REQUEST', message: 'Give a selector for at least one field.' });
    try {
      const saved = await this.db.prisma.$transaction(async (tx) => {
        const data = { name: input.name, urlPattern: input.urlPattern, selectors: input.selectors, rowSelectors: rows ?? Prisma.DbNull, published: input.published };
        const row = input.adapterId
          ? await tx.ehrAdapter.update({ where: { id: input.adapterId }, data })
          : await tx.ehrAdapter.create({ data: { ...data, orgId: actor.orgId, createdById: actor.userId } });
        await this.audit.record(actor, { action: 'ehr_adapter.changed', summary: `${input.adapterId ? 'Edited' : 'Created'} the EHR adapter "${input.name}"${input.published ? ' (published)' : ' (draft)'}`, targetType: 'ehrAdapter', targetId: row.id }, tx);
        return row;
      });
      return { id: saved.id };
    } catch (error) {
      if ((error as { code?: string }).code === 'P2002') throw new TRPCError({ code: 'CONFLICT', message: `An adapter named "${input.name}" already exists.` });
      throw error;
    }
  }

  async delete(actor: Actor, adapterId: string) {
    const existing = await this.db.prisma.ehrAdapter.findFirst({ where: { id: adapterId, orgId: actor.orgId } });
    if (!existing) throw new TRPCError({ code: 'NOT_FOUND', message: 'Adapter not found.' });
    await this.db.prisma.$transaction(async (tx) => {
      await tx.ehrAdapter.delete({ where: { id: existing.id } });
      await this.audit.record(actor, { action: 'ehr_adapter.changed', summary: `Deleted the EHR adapter "${existing.name}"`, targetType: 'ehrAdapter', targetId: existing.id }, tx);
    });
  }
}
