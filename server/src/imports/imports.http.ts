import type { Express, NextFunction, Request, Response } from 'express';
import { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import type { AccessService } from '../access/access.service.js';
import type { AuthService } from '../auth/auth.service.js';
import { actorFromRequest, HttpError } from '../http/session-actor.js';
import { INTERNAL_ERROR_MESSAGE } from '../trpc/trpc.js';
import { DATABASE_UNAVAILABLE_MESSAGE, isDatabaseUnavailable, RETRY_AFTER_SECONDS } from '../db/unavailable.js';
import { type ImportsService, UploadError } from './imports.service.js';

/**
 * Uploads stream the raw file body (`fetch(url, { method: 'POST', body: file })`), which tRPC
 * is not made for; the report download streams CSV back.
 */
export function mountImportRoutes(app: Express, imports: ImportsService, auth: AuthService, access: AccessService): void {
  app.post('/api/imports/patients', async (req: Request, res: Response, next: NextFunction) => {
    try {
      const actor = await actorFromRequest(req, auth, access, 'imports.upload');
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
      const actor = await actorFromRequest(req, auth, access, 'imports.report');
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
    // Our own refusals keep their message; an unexpected error (database, bug) is logged here
    // and answered with a generic message: no SQL, stack, table or constraint names.
    if (error instanceof TRPCError && error.code !== 'INTERNAL_SERVER_ERROR') {
      res.status(getHTTPStatusCodeFromError(error)).json({ error: error.message });
      return;
    }
    if (isDatabaseUnavailable(error)) {
      res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
      res.status(503).json({ error: DATABASE_UNAVAILABLE_MESSAGE });
      return;
    }
    // Body parsing errors (http-errors) whose message is meant for the client: 400 bad JSON, 413...
    const httpish = error as { status?: unknown; expose?: unknown; message?: unknown };
    if (typeof httpish.status === 'number' && httpish.status >= 400 && httpish.status < 500 && httpish.expose === true) {
      res.status(httpish.status).json({ error: String(httpish.message) });
      return;
    }
    console.error('[http]', req.method, req.path, error);
    res.status(500).json({ error: INTERNAL_ERROR_MESSAGE });
  });
}
