import type { Express, NextFunction, Request, Response } from 'express';
import { dateRangeProblem } from '@caretext/shared';
import type { AccessService } from '../access/access.service.js';
import type { AuthService } from '../auth/auth.service.js';
import { actorFromRequest, HttpError } from '../http/session-actor.js';
import type { DayRange, NumbersService } from './numbers.service.js';

/** ?from=&to= as whole days; either end may be open. */
function rangeOf(req: Request): DayRange {
  const from = typeof req.query.from === 'string' && req.query.from ? req.query.from : undefined;
  const to = typeof req.query.to === 'string' && req.query.to ? req.query.to : undefined;
  // Real dates (not 2026-02-30), sane years (not 0001 or 9999), start before end: shared with every export.
  const problem = dateRangeProblem(from, to);
  if (problem) throw new HttpError(400, problem);
  return { from, to };
}

/** Directory → Phone numbers → Export phone logs (who may export what: NumbersService.exportPhoneLog). */
export function mountNumberRoutes(app: Express, numbers: NumbersService, auth: AuthService, access: AccessService): void {
  const exportRoute = (numberId: (req: Request) => string | null) => async (req: Request, res: Response, next: NextFunction) => {
    try {
      const actor = await actorFromRequest(req, auth, access, 'numbers.exportPhoneLog');
      const { fileName, lines } = await numbers.exportPhoneLog(actor, numberId(req), rangeOf(req));
      res.setHeader('Content-Type', 'text/csv; charset=utf-8');
      res.setHeader('Content-Disposition', `attachment; filename="${fileName}"`);
      for await (const chunk of lines) {
        if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
      }
      res.end();
    } catch (error) {
      next(error);
    }
  };
  /** Every number the caller may export: all for admins, their teams' for members. */
  app.get('/api/numbers/phone-log.csv', exportRoute(() => null));
  app.get('/api/numbers/:numberId/phone-log.csv', exportRoute((req) => String(req.params.numberId)));
}
