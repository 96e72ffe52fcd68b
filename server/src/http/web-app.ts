import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type Express } from 'express';

/** Serves the built SPA; unknown GETs outside the API fall back to index.html for client routing. */
export function serveWebApp(app: Express, distDir: string): void {
  const index = path.join(distDir, 'index.html');
  if (!existsSync(index)) return;
  const assets = express.static(distDir, { index: false, maxAge: '1h' });
  // securityHeaders() defaulted Cache-Control to no-store, which serve-static would keep: the
  // built assets (no patient data) are cacheable, so clear it for them and put it back otherwise.
  app.use((req, res, next) => {
    const previous = res.getHeader('Cache-Control');
    res.removeHeader('Cache-Control');
    assets(req, res, (error?: unknown) => {
      if (previous !== undefined && !res.headersSent) res.setHeader('Cache-Control', previous);
      next(error);
    });
  });
  app.get(/^\/(?!trpc|webhooks|health|api|__twilio|downloads).*/, (req, res, next) => {
    if (!req.accepts('html')) return next();
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
}
