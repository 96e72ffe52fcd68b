import type { Express, NextFunction, Request, Response } from 'express';
import { dateRangeProblem, formatPhoneForDisplay } from '@caretext/shared';
import { type AccessService, type Actor, isAdmin } from '../access/access.service.js';
import type { AuditService } from '../audit/audit.service.js';
import type { AuthService } from '../auth/auth.service.js';
import type { Database } from '../db/database.js';
import { actorFromRequest, HttpError } from '../http/session-actor.js';
import { phoneLogCsv } from './phone-log.js';

type Range = { from?: string; to?: string };

/** ?from=&to= as whole days; either end may be open. */
function rangeOf(req: Request): Range {
  const from = typeof req.query.from === 'string' && req.query.from ? req.query.from : undefined;
  const to = typeof req.query.to === 'string' && req.query.to ? req.query.to : undefined;
  // Real dates (not 2026-02-30), sane years (not 0001 or 9999), start before end: shared with every export.
  const problem = dateRangeProblem(from, to);
  if (problem) throw new HttpError(400, problem);
  return { from, to };
}

const rangeText = ({ from, to }: Range) => (from || to ? ` (${from ?? '…'} to ${to ?? '…'})` : '');
const rangeFile = ({ from, to }: Range) => `${from ? `-${from}` : ''}${to ? `-to-${to}` : ''}`;

/**
 * Directory → Phone numbers → Export phone logs. Admins export any of the organization's
 * numbers; a member, the numbers of the teams they are on (they send from them and read their
 * conversations already) and no other.
 */
export function mountNumberRoutes(app: Express, deps: { db: Database; auth: AuthService; access: AccessService; audit: AuditService }): void {
  async function stream(res: Response, actor: Actor, numbers: { id: string; e164: string }[], range: Range, fileName: string) {
    const org = await deps.db.prisma.org.findUniqueOrThrow({ where: { id: actor.orgId } });
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="${fileName}"`);
    for await (const chunk of phoneLogCsv(deps.db, actor, numbers, range, org.timeZone)) {
      if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
    }
    res.end();
  }

  /** Every number the caller may export: all for admins, their teams' for members. */
  app.get('/api/numbers/phone-log.csv', async (req: Request, res: Response, next: NextFunction) => {
    try {
      const actor = await actorFromRequest(req, deps.auth, deps.access);
      const range = rangeOf(req);
      const admin = isAdmin(actor.role);
      const teamIds = admin ? null : await deps.access.teamIdsFor(actor);
      const numbers = await deps.db.prisma.phoneNumber.findMany({ where: { orgId: actor.orgId, ...(teamIds ? { teamId: { in: teamIds } } : {}) }, select: { id: true, e164: true } });
      await deps.audit.record(actor, { action: 'phonelog.exported', summary: `Exported the phone log of ${admin ? 'all numbers' : "their teams' numbers"} (${numbers.length})${rangeText(range)}`, targetType: 'phoneNumber', data: { numberIds: numbers.map((n) => n.id) } });
      await stream(res, actor, numbers, range, `phone-log${admin ? '' : '-my-teams'}${rangeFile(range)}.csv`);
    } catch (error) {
      next(error);
    }
  });

  app.get('/api/numbers/:numberId/phone-log.csv', async (req: Request, res: Response, next: NextFunction) => {
    try {
      const actor = await actorFromRequest(req, deps.auth, deps.access);
      const number = await deps.db.prisma.phoneNumber.findFirst({ where: { id: String(req.params.numberId), orgId: actor.orgId } });
      if (!number) throw new HttpError(404, 'Phone number not found.');
      if (!isAdmin(actor.role) && !(await deps.access.teamIdsFor(actor)).includes(number.teamId)) {
        throw new HttpError(403, "You can export the phone logs of your own teams' numbers. Ask an admin for this one.");
      }
      const range = rangeOf(req);
      await deps.audit.record(actor, { action: 'phonelog.exported', summary: `Exported the phone log of ${formatPhoneForDisplay(number.e164)}${rangeText(range)}`, targetType: 'phoneNumber', targetId: number.id });
      await stream(res, actor, [number], range, `phone-log-${number.e164.replace('+', '')}${rangeFile(range)}.csv`);
    } catch (error) {
      next(error);
    }
  });
}
