import type { Express, NextFunction, Request, Response } from 'express';
import { dateRangeProblem, formatPhoneForDisplay } from '@caretext/shared';
import { type AccessService, isAdmin } from '../access/access.service.js';
import type { AuditService } from '../audit/audit.service.js';
import type { AuthService } from '../auth/auth.service.js';
import type { Database } from '../db/database.js';
import { actorFromRequest, HttpError } from '../http/session-actor.js';
import { phoneLogCsv } from './phone-log.js';

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
      // Real dates (not 2026-02-30), sane years (not 0001 or 9999), start before end: shared with every export.
      const rangeProblem = dateRangeProblem(from, to);
      if (rangeProblem) throw new HttpError(400, rangeProblem);
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
