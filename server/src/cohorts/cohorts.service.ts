import { Inject, Injectable } from '@nestjs/common';
import { type CohortFilter, cohortFilterSchema, describeCohortFilter } from '@caretext/shared';
import { TRPCError } from '@trpc/server';
import type { Actor } from '../access/access.service.js';
import { AuditService } from '../audit/audit.service.js';
import { CLOCK, type Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import { Prisma } from '../generated/prisma/client.js';
import { DATABASE } from '../injection-tokens.js';
import { type CohortTime, cohortPatients, cohortWhere } from './cohort-patients.js';

export const PREVIEW_LIMIT_MAX = 50;

/** The org as orgProcedure read it for this request: its time zone decides ages and local dates. */
type OrgTime = { timeZone: string };

type CohortRow = { id: string; name: string; filter: Prisma.JsonValue; createdById: string | null; createdAt: Date; updatedAt: Date };

/**
 * Cohorts: saved filters over the organization's patients. Any member may read them, count and
 * preview (members already see every patient of the org); creating, changing and deleting is for
 * admins (the routers use adminProcedure), because a cohort is an org-wide audience that blasts
 * reuse: a member editing one would change who receives someone else's campaign.
 */
@Injectable()
export class CohortsService {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly audit: AuditService,
  ) {}

  /** Today in the org's time zone (the request already read the org), per the injectable clock. */
  private timeFor(org: OrgTime): CohortTime {
    return { timeZone: org.timeZone, now: this.clock.now() };
  }

  async list(actor: Actor, org: OrgTime) {
    const rows = await this.db.prisma.cohort.findMany({ where: { orgId: actor.orgId }, orderBy: { name: 'asc' } });
    const at = this.timeFor(org);
    return Promise.all(rows.map(async (row) => ({ ...view(row), patientCount: await this.countWith(actor.orgId, view(row).filter, at) })));
  }

  async get(actor: Actor, cohortId: string) {
    return view(await this.find(actor, cohortId));
  }

  async count(actor: Actor, org: OrgTime, filter: CohortFilter): Promise<{ count: number }> {
    return { count: await this.countWith(actor.orgId, filter, this.timeFor(org)) };
  }

  private async countWith(orgId: string, filter: CohortFilter, at: CohortTime): Promise<number> {
    const [row] = await this.db.prisma.$queryRaw<{ count: number }[]>`SELECT count(*)::int AS count FROM (${cohortPatients(orgId, filter, at)}) AS c`;
    return row!.count;
  }

  /** The first `limit` matching patients by name (what a user sees while editing); audited: it shows patient names. */
  async preview(actor: Actor, org: OrgTime, filter: CohortFilter, limit: number) {
    const at = this.timeFor(org);
    const take = Math.min(limit, PREVIEW_LIMIT_MAX);
    const patients = await this.db.prisma.$queryRaw<PreviewRow[]>`
      SELECT p."id", p."firstName", p."lastName", p."preferredName", p."dob", p."phone", p."email", p."location", p."provider", p."tags"
      FROM "Patient" p WHERE ${cohortWhere(actor.orgId, filter, at)}
      ORDER BY p."lastName" ASC NULLS LAST, p."firstName" ASC NULLS LAST, p."id" ASC
      LIMIT ${take}`;
    await this.audit.record(actor, { action: 'cohort.previewed', summary: `Previewed the patients of a cohort filter (${describeCohortFilter(filter)})`, data: { shown: patients.length } });
    return { patients };
  }

  /** Locations, providers and tags in use in the org, for the editor's pickers. */
  async options(actor: Actor) {
    const [locations, providers, tags] = await Promise.all([
      this.db.prisma.$queryRaw<{ v: string }[]>`SELECT DISTINCT "location" AS v FROM "Patient" WHERE "orgId" = ${actor.orgId} AND coalesce("location", '') <> '' ORDER BY 1 LIMIT 500`,
      this.db.prisma.$queryRaw<{ v: string }[]>`SELECT DISTINCT "provider" AS v FROM "Patient" WHERE "orgId" = ${actor.orgId} AND coalesce("provider", '') <> '' ORDER BY 1 LIMIT 500`,
      this.db.prisma.$queryRaw<{ v: string }[]>`SELECT DISTINCT unnest("tags") AS v FROM "Patient" WHERE "orgId" = ${actor.orgId} ORDER BY 1 LIMIT 500`,
    ]);
    return { locations: locations.map((r) => r.v), providers: providers.map((r) => r.v), tags: tags.map((r) => r.v) };
  }

  async create(actor: Actor, input: { name: string; filter: CohortFilter }) {
    try {
      const row = await this.db.prisma.$transaction(async (tx) => {
        const created = await tx.cohort.create({ data: { orgId: actor.orgId, name: input.name, filter: input.filter as Prisma.InputJsonValue, createdById: actor.userId } });
        await this.audit.record(actor, { action: 'cohort.created', summary: `Created the cohort "${input.name}" (${describeCohortFilter(input.filter)})`, targetType: 'cohort', targetId: created.id }, tx);
        return created;
      });
      return view(row);
    } catch (error) {
      throw conflict(error, input.name);
    }
  }

  async update(actor: Actor, cohortId: string, input: { name: string; filter: CohortFilter }) {
    const existing = await this.find(actor, cohortId);
    try {
      const row = await this.db.prisma.$transaction(async (tx) => {
        const updated = await tx.cohort.update({ where: { id: existing.id }, data: { name: input.name, filter: input.filter as Prisma.InputJsonValue } });
        await this.audit.record(
          actor,
          {
            action: 'cohort.updated',
            summary: `Edited the cohort "${input.name}"${existing.name === input.name ? '' : ` (was "${existing.name}")`}: ${describeCohortFilter(input.filter)}`,
            targetType: 'cohort',
            targetId: existing.id,
          },
          tx,
        );
        return updated;
      });
      return view(row);
    } catch (error) {
      throw conflict(error, input.name);
    }
  }

  async delete(actor: Actor, cohortId: string) {
    const existing = await this.find(actor, cohortId);
    await this.db.prisma.$transaction(async (tx) => {
      await tx.cohort.delete({ where: { id: existing.id } });
      await this.audit.record(actor, { action: 'cohort.deleted', summary: `Deleted the cohort "${existing.name}"`, targetType: 'cohort', targetId: existing.id }, tx);
    });
  }

  /** This org's cohort; another org's is NOT_FOUND, like one that does not exist. */
  private async find(actor: Actor, cohortId: string): Promise<CohortRow> {
    const row = await this.db.prisma.cohort.findFirst({ where: { id: cohortId, orgId: actor.orgId } });
    if (!row) throw new TRPCError({ code: 'NOT_FOUND', message: 'Cohort not found.' });
    return row;
  }
}

type PreviewRow = {
  id: string;
  firstName: string | null;
  lastName: string | null;
  preferredName: string | null;
  dob: string | null;
  phone: string | null;
  email: string | null;
  location: string | null;
  provider: string | null;
  tags: string[];
};

function view(row: CohortRow) {
  const parsed = cohortFilterSchema.safeParse(row.filter);
  // A stored filter that no longer parses must never widen to "every patient".
  if (!parsed.success) throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: `Cohort ${row.id} has a filter this version cannot read.` });
  return { id: row.id, name: row.name, filter: parsed.data, description: describeCohortFilter(parsed.data), createdById: row.createdById, createdAt: row.createdAt, updatedAt: row.updatedAt };
}

function conflict(error: unknown, name: string): unknown {
  if ((error as { code?: string }).code === 'P2002') return new TRPCError({ code: 'CONFLICT', message: `A cohort named "${name}" already exists.` });
  return error;
}
