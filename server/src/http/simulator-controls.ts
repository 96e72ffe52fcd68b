import { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { AccessService, Actor } from '../access/access.service.js';
import type { AuthService } from '../auth/auth.service.js';
import { SimulatorInputError } from '../carriers/simulator/simulated-twilio.js';
import type { SimulatorService } from '../messages/simulator.service.js';
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
  deps: { simulator: SimulatorService; auth: AuthService; access: AccessService },
): void {
  const signedIn = async (req: Request, res: Response, next: NextFunction) => {
    try {
      if (!deps.simulator.enabled()) throw new HttpError(404, 'Simulator controls are off on this server (DEMO_TOOLS).');
      res.locals.actor = await actorFromRequest(req, deps.auth, deps.access, 'simulator.controls');
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
      const mediaUrls = input.mediaUrls ?? input.mediaUrl;
      const result = await deps.simulator.simulateInbound(res.locals.actor as Actor, {
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
    if (error instanceof TRPCError && error.code !== 'INTERNAL_SERVER_ERROR') return void res.status(getHTTPStatusCodeFromError(error)).json({ error: error.message });
    next(error);
  });
}
