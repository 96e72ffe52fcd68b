import type { Express, NextFunction, Request, Response } from 'express';
import { pipeline } from 'node:stream/promises';
import type { AccessService } from '../access/access.service.js';
import type { AuthService } from '../auth/auth.service.js';
import { ATTACHMENT_UPLOAD_PATH } from '../http/body-limits.js';
import { actorFromRequest, HttpError } from '../http/session-actor.js';
import { clientIp } from '../trpc/context.js';
import { contentDisposition } from './attachment-types.js';
import type { AttachmentsService } from './attachments.service.js';

/**
 * The file itself may be anything a browser could run if it guessed (an image that is also
 * HTML): no sniffing, and a sandbox with no script, no plugins and no origin if it is opened.
 */
export const ATTACHMENT_CSP = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'";

/** Bodies a body parser would read as a form or JSON: the upload takes the file's raw bytes. */
const NOT_RAW = /^(application\/json|application\/x-www-form-urlencoded|multipart\/form-data)\b/i;

const query = (req: Request, name: string) => (typeof req.query[name] === 'string' ? (req.query[name] as string) : undefined);

/**
 * Upload: `POST /api/attachments?conversationId=…&name=…` with the file's bytes as the body
 * (`fetch(url, { method: 'POST', body: file })`, like the CSV import), signed in, on the
 * conversation's team; CSRF is checked for cookie sessions by csrfGuard like every unsafe route.
 * Download: `GET /api/attachments/:id/:name?exp=…&v=…&sig=…`, a link from `attachments.link`.
 */
export function mountAttachmentRoutes(app: Express, attachments: AttachmentsService, auth: AuthService, access: AccessService): void {
  app.post(ATTACHMENT_UPLOAD_PATH, async (req: Request, res: Response, next: NextFunction) => {
    try {
      const actor = await actorFromRequest(req, auth, access, 'attachments.upload');
      const conversationId = query(req, 'conversationId');
      if (!conversationId || conversationId.length > 64) throw new HttpError(400, 'Name the conversation (conversationId).');
      if (NOT_RAW.test(req.headers['content-type'] ?? '')) {
        throw new HttpError(415, "Send the file's bytes as the request body (Content-Type application/octet-stream or the file's own type), not a form or JSON.");
      }
      const length = Number(req.headers['content-length']);
      const result = await attachments.uploadAsStaff(actor, conversationId, query(req, 'name') ?? '', req, Number.isFinite(length) ? length : undefined);
      res.status(201).json(result);
    } catch (error) {
      next(error);
    }
  });

  app.get(`${ATTACHMENT_UPLOAD_PATH}/:attachmentId/:fileName`, async (req: Request, res: Response, next: NextFunction) => {
    try {
      const file = await attachments.openDownload(String(req.params.attachmentId), { exp: query(req, 'exp'), v: query(req, 'v'), sig: query(req, 'sig') }, clientIp(req));
      res.setHeader('Content-Type', file.contentType);
      res.setHeader('Content-Length', String(file.size));
      res.setHeader('Content-Disposition', contentDisposition(file.inline ? 'inline' : 'attachment', file.fileName));
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('Content-Security-Policy', ATTACHMENT_CSP);
      res.setHeader('Cache-Control', 'private, no-store');
      await pipeline(file.stream, res);
    } catch (error) {
      if (res.headersSent) res.destroy(error as Error);
      else next(error);
    }
  });
}
