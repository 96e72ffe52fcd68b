import type { Express, NextFunction, Request, Response } from 'express';
import { formatPhoneForDisplay } from '@caretext/shared';
import { type AccessService, isAdmin } from '../access/access.service.js';
import type { AuditService } from '../audit/audit.service.js';
import type { AuthService } from '../auth/auth.service.js';
import type { Database } from '../db/database.js';
import { actorFromRequest, HttpError } from '../http/session-actor.js';
import { phoneLogCsv } from './phone-log.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** "2026-02-30" matches the pattern but is no date. */
const isDate = (text: string) => {
  const date = new Date(`${text}T00:00:00Z`);
  return DATE.test(text) && !Number.isNaN(date.getTime()) && date.toISOString().startsWith(text);
};

/** Directory → Phone numbers → Export phone logs (admins). */
export function mountNumberRoutes(app: Express, deps: { db: Database; auth: AuthService; access: AccessService; audit: AuditService }): void {
  app.get('/api/numbers/:numberId/phone-log.csv', async (req: Request, res: Response, next: NextFunction) => {
    try {
      const actor = await actorFromRequest(req, deps.auth, deps.access);
      if (!isAdmin(actor.role)) throw new HttpError(403, 'Only organization admins can export phone logs.');
      const number = await deps.db.prisma.phoneNumber.findFirst({ where: { id: String(req.params.numberId), orgId: actor.orgId } });
      if (!number) throw new HttpError(404, 'Phone number not found.');
      const from = typeof req.query.from === 'string' && req.query.from ? req.query.from : undefined;
      const to = typeof req.query.to === 'string' && req.query.to ? req.query.to : undefined;
      if ((from && !isDate(from)) || (to && !isDate(to))) throw new HttpError(400, 'Dates must be real dates written like 2026-04-22.');
      if (from && to && from > to) throw new HttpError(400, 'The start date is after the end date.');
      const org = await deps.db.prisma.org.findUniqueOrThrow({ where: { id: actor.orgId } });
      await deps.audit.record(actor, { action: 'phonelog.exported', summary: `Exported the phone log of ${formatPhoneForDisplay(number.e164)}${from || to ? ` (${from ?? '…'} to ${to ?? '…'})` : ''}`, targetType: 'phoneNumber', targetId: number.id });
      res.setHeader('Content-Type', 'text/csv; charset=utf-8');
      res.setHeader('Content-Disposition', `attachment; filename="phone-log-${number.e164.replace('+', '')}${from ? `-${from}` : ''}${to ? `-to-${to}` : ''}.csv"`);
      for await (const chunk of phoneLogCsv(deps.db, actor, number, { from, to }, org.timeZone)) {
        if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
      }
      res.end();
    } catch (error) {
      next(error);
    }
  });
}
