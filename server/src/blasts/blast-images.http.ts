import type { Express, NextFunction, Request, Response } from 'express';
import { pipeline } from 'node:stream/promises';
import type { AccessService } from '../access/access.service.js';
import { ATTACHMENT_CSP } from '../attachments/attachments.http.js';
import type { AuthService } from '../auth/auth.service.js';
import { actorFromRequest, HttpError } from '../http/session-actor.js';
import { BLAST_IMAGE_PATH, type BlastImagesService } from './blast-images.js';

const NOT_RAW = /^(application\/json|application\/x-www-form-urlencoded|multipart\/form-data)\b/i;
const query = (req: Request, name: string) => (typeof req.query[name] === 'string' ? (req.query[name] as string) : undefined);

/**
 * Upload: `POST /api/blast-images?name=…` with the image's bytes as the body, signed in (CSRF is
 * checked for cookie sessions by csrfGuard like every unsafe route).
 * Download: `GET /api/blast-images/:id?exp=…&v=…&sig=…`, a link signed for a staff member (the
 * wizard's thumbnails) or for the carrier (minted at send time); nothing else opens it.
 */
export function mountBlastImageRoutes(app: Express, images: BlastImagesService, auth: AuthService, access: AccessService): void {
  app.post(BLAST_IMAGE_PATH, async (req: Request, res: Response, next: NextFunction) => {
    try {
      const actor = await actorFromRequest(req, auth, access, 'blasts.uploadImage');
      if (NOT_RAW.test(req.headers['content-type'] ?? '')) {
        throw new HttpError(415, "Send the image's bytes as the request body (Content-Type application/octet-stream or the image's own type), not a form or JSON.");
      }
      const length = Number(req.headers['content-length']);
      res.status(201).json(await images.upload(actor, query(req, 'name') ?? '', req, Number.isFinite(length) ? length : undefined));
    } catch (error) {
      next(error);
    }
  });

  app.get(`${BLAST_IMAGE_PATH}/:imageId`, async (req: Request, res: Response, next: NextFunction) => {
    try {
      const file = await images.openDownload(String(req.params.imageId), { exp: query(req, 'exp'), v: query(req, 'v'), sig: query(req, 'sig') });
      res.setHeader('Content-Type', file.contentType);
      res.setHeader('Content-Length', String(file.size));
      res.setHeader('Content-Disposition', 'inline');
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
