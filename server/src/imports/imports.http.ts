import type { Express, NextFunction, Request, Response } from 'express';
import { TRPCError } from '@trpc/server';
import type { AccessService } from '../access/access.service.js';
import type { AuthService } from '../auth/auth.service.js';
import { actorFromRequest, HttpError } from '../http/session-actor.js';
import { type ImportsService, UploadError } from './imports.service.js';

/**
 * Uploads stream the raw file body (`fetch(url, { method: 'POST', body: file })`), which tRPC
 * is not made for; the report download streams CSV back.
 */
export function mountImportRoutes(app: Express, imports: ImportsService, auth: AuthService, access: AccessService): void {
  app.post('/api/imports/patients', async (req: Request, res: Response, next: NextFunction) => {
    try {
      const actor = await actorFromRequest(req, auth, access);
      const fileName = typeof req.query.name === 'string' ? req.query.name : 'patients.csv';
      const length = Number(req.headers['content-length']);
      const result = await imports.upload(actor, fileName, req, Number.isFinite(length) ? length : undefined);
      res.status(201).json(result);
    } catch (error) {
      next(error);
    }
  });

  app.get('/api/imports/:jobId/report.csv', async (req: Request, res: Response, next: NextFunction) => {
    try {
      const actor = await actorFromRequest(req, auth, access);
      const lines = imports.reportCsv(actor, String(req.params.jobId));
      const first = await lines.next(); // fails with NOT_FOUND before any header is sent
      res.setHeader('Content-Type', 'text/csv; charset=utf-8');
      res.setHeader('Content-Disposition', `attachment; filename="import-report-${String(req.params.jobId).slice(0, 8)}.csv"`);
      if (!first.done) res.write(first.value);
      for await (const chunk of lines) if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
      res.end();
    } catch (error) {
      next(error);
    }
  });
}

/** Errors of the plain /api routes as JSON `{ error }` with a fitting status. Mount after them. */
export function mountApiErrorHandler(app: Express): void {
  app.use('/api', (error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    if (error instanceof HttpError || error instanceof UploadError) {
      if (error.status === 413) req.resume(); // drain so the client sees the answer
      res.status(error.status).json({ error: error.message, ...(error instanceof UploadError ? error.extra : {}) });
      return;
    }
    if (error instanceof TRPCError && error.code === 'NOT_FOUND') {
      res.status(404).json({ error: error.message });
      return;
    }
    console.error('[http]', error);
    res.status(500).json({ error: 'Something went wrong on the server.' });
  });
}
