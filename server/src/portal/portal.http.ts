import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { firstControlChar, hasLoneSurrogate } from '@caretext/shared';
import { PORTAL_UPLOAD_PATH } from '../http/body-limits.js';
import { trpcJsonOnly } from '../http/csrf.js';
import { HttpError } from '../http/session-actor.js';
import { clientIp, readCookie } from '../trpc/context.js';
import type { PortalRequest, PortalService } from './portal.service.js';

/** The device cookie: HttpOnly, SameSite=Strict, sent only to the portal API. */
export const PORTAL_DEVICE_COOKIE = 'caretext_portal_device';
export const PORTAL_API = '/api/portal';

/**
 * The patient portal's API: plain JSON POSTs, public (no staff session: the link's token and,
 * after the date of birth, the device cookie are the credentials), so it never reads the staff
 * session cookie. JSON only (a cross-site form cannot send it without a preflight) and the
 * device cookie is SameSite=Strict, so another site cannot act as the patient. The token
 * travels in the body, never in a URL the server logs.
 */
export function mountPortalRoutes(app: Express, portal: PortalService, options: { https: boolean }): void {
  const text = (value: unknown, max: number): string | null => (typeof value === 'string' && value.length <= max && !firstControlChar(value) && !hasLoneSurrogate(value) ? value : null);
  // The patient's file upload: the file's raw bytes as the body (like the staff upload), the
  // link's token in a header (a custom header needs a CORS preflight, so another site cannot
  // send it; the device cookie is SameSite=Strict besides). Before the JSON-only guard.
  app.post(PORTAL_UPLOAD_PATH, (req: Request, res: Response, next: NextFunction) => {
    const token = text(req.headers['x-portal-token'], 200);
    const type = req.headers['content-type'] ?? '';
    if (!token) return void res.status(400).json({ state: 'invalid', message: 'This link is not complete. Open it again from the message you received.' });
    if (/^(application\/json|application\/x-www-form-urlencoded|multipart\/form-data|text\/plain)\b/i.test(type)) {
      return void res.status(415).json({ state: 'invalid', message: "Send the file's bytes as the request body." });
    }
    const name = typeof req.query.name === 'string' ? req.query.name.slice(0, 300) : '';
    const length = Number(req.headers['content-length']);
    portal
      .upload({ token, device: readCookie(req, PORTAL_DEVICE_COOKIE), ip: clientIp(req) }, name, req, Number.isFinite(length) ? length : undefined)
      .then((body) => res.status((body as { state: string }).state === 'uploaded' ? 201 : (body as { state: string }).state === 'too_many_tries' ? 429 : 200).json(body))
      .catch((error: unknown) => {
        // Too large, empty, or not an allowed type: the reason, for the patient to read.
        if (error instanceof HttpError && error.status < 500) return void res.status(error.status).set('Connection', 'close').json({ state: 'invalid', message: error.message });
        next(error);
      });
  });

  const api = express.Router();
  api.use(trpcJsonOnly);
  api.use(express.json({ limit: '32kb' }));
  const request = (req: Request): PortalRequest | null => {
    const token = text((req.body as { token?: unknown } | undefined)?.token, 200);
    return token ? { token, device: readCookie(req, PORTAL_DEVICE_COOKIE), ip: clientIp(req) } : null;
  };
  const handle = (fn: (req: Request, res: Response, portalReq: PortalRequest) => Promise<unknown>) => (req: Request, res: Response, next: NextFunction) => {
    const portalReq = request(req);
    if (!portalReq) return void res.status(400).json({ state: 'invalid', message: 'This link is not complete. Open it again from the message you received.' });
    fn(req, res, portalReq)
      .then((body) => {
        const state = (body as { state: string }).state;
        res.status(state === 'too_many_tries' ? 429 : 200).json(body);
      })
      .catch(next);
  };

  api.post('/open', handle((_req, _res, p) => portal.open(p)));
  api.post(
    '/verify',
    handle(async (req, res, p) => {
      const dob = text((req.body as { dob?: unknown }).dob, 10) ?? '';
      const { device, ...answer } = await portal.verify(p, dob);
      if (device) {
        res.cookie(PORTAL_DEVICE_COOKIE, device.token, { httpOnly: true, secure: options.https, sameSite: 'strict', path: PORTAL_API, expires: device.expires });
      }
      return answer;
    }),
  );
  api.post('/conversation', handle((_req, _res, p) => portal.conversation(p)));
  /** Polled by the open page: has anything it shows changed (a new message, a recall)? */
  api.post('/version', handle((_req, _res, p) => portal.version(p)));
  api.post(
    '/reply',
    handle((req, _res, p) => {
      const body = text((req.body as { body?: unknown }).body, 20_000);
      if (body === null) return Promise.resolve({ state: 'invalid', message: 'Your message could not be read. Remove any unusual characters and try again.' });
      const ids = (req.body as { attachmentIds?: unknown }).attachmentIds;
      const attachmentIds = Array.isArray(ids) ? ids.map((v) => text(v, 64)) : ids === undefined ? [] : null;
      if (attachmentIds === null || attachmentIds.some((v) => v === null) || attachmentIds.length > 20) return Promise.resolve({ state: 'invalid', message: 'Your files could not be read. Attach them again.' });
      return portal.reply(p, body, attachmentIds as string[]);
    }),
  );
  /** A short-lived link to one file of the conversation. */
  api.post(
    '/file',
    handle((req, _res, p) => {
      const id = text((req.body as { attachmentId?: unknown }).attachmentId, 64);
      return id ? portal.fileLink(p, id) : Promise.resolve({ state: 'invalid', message: 'Name the file.' });
    }),
  );
  /** The patient recalls their own reply. */
  api.post(
    '/recall',
    handle((req, _res, p) => {
      const id = text((req.body as { messageId?: unknown }).messageId, 64);
      return id ? portal.recall(p, id) : Promise.resolve({ state: 'invalid', message: 'Name the message.' });
    }),
  );
  // Anything else under the portal API, and malformed JSON: a clear JSON answer, never HTML.
  api.use((_req: Request, res: Response) => void res.status(404).json({ state: 'invalid', message: 'Not found.' }));
  api.use((error: Error & { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    if (error.status && error.status < 500) return void res.status(error.status).json({ state: 'invalid', message: 'The request could not be read.' });
    console.error('[portal]', error);
    res.status(500).json({ state: 'error', message: 'Something went wrong on the server. Please try again in a moment.' });
  });
  app.use(PORTAL_API, api);
}
