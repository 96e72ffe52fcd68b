import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { AccessService } from '../access/access.service.js';
import type { AuthService } from '../auth/auth.service.js';
import { SimulatorInputError } from '../carriers/simulator/simulated-twilio.js';
import type { TwilioSimulator } from '../carriers/simulator/twilio-simulator.js';
import type { Database } from '../db/database.js';
import { actorFromRequest, HttpError } from './session-actor.js';

/**
 * The simulator's control routes, mounted by our server instead of the simulator's own
 * unauthenticated ones (createTwilioSimulator({ controlRoutes: false })). They fake carrier
 * traffic (an inbound "STOP" opts a patient out), so: demo tools on, a signed-in session, and
 * the number involved belongs to the session's organization. The Twilio REST emulation beside
 * them needs the simulator's account credentials (HTTP Basic) and is not a control route.
 */
export function mountSimulatorControls(
  app: Express,
  mountPath: string,
  deps: { simulator: TwilioSimulator; db: Database; auth: AuthService; access: AccessService; enabled: () => boolean },
): void {
  const signedIn = async (req: Request, res: Response, next: NextFunction) => {
    try {
      if (!deps.enabled()) throw new HttpError(404, 'Simulator controls are off on this server (DEMO_TOOLS).');
      res.locals.actor = await actorFromRequest(req, deps.auth, deps.access);
      next();
    } catch (error) {
      next(error);
    }
  };
  const parse = [express.json({ limit: '16kb' }), express.urlencoded({ extended: false, limit: '16kb' })];

  app.post(`${mountPath}/__simulator/inbound`, signedIn, parse, async (req: Request, res: Response, next: NextFunction) => {
    try {
      const input = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
      const to = String(input.to ?? '');
      const { orgId } = res.locals.actor as { orgId: string };
      const number = await deps.db.prisma.phoneNumber.findFirst({ where: { e164: to, orgId, status: 'active' } });
      if (!number) throw new HttpError(403, 'That number is not one of your organization’s numbers.');
      const mediaUrls = input.mediaUrls ?? input.mediaUrl;
      const result = await deps.simulator.simulateInbound({
        from: String(input.from ?? ''),
        to,
        body: String(input.body ?? ''),
        mediaUrls: mediaUrls === undefined ? [] : ([] as unknown[]).concat(mediaUrls).map(String),
      });
      res.json({ sid: result.sid, optOutType: result.optOutType, webhookStatus: result.webhook?.status ?? null });
    } catch (error) {
      next(error);
    }
  });

  app.use(`${mountPath}/__simulator`, (error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    if (error instanceof HttpError || error instanceof SimulatorInputError) return void res.status(error.status).json({ error: error.message });
    next(error);
  });
}
