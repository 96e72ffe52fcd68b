import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type Express } from 'express';

/** Serves the built SPA; unknown GETs outside the API fall back to index.html for client routing. */
export function serveWebApp(app: Express, distDir: string): void {
  const index = path.join(distDir, 'index.html');
  if (!existsSync(index)) return;
  app.use(express.static(distDir, { index: false, maxAge: '1h' }));
  app.get(/^\/(?!trpc|webhooks|health|api|__twilio|downloads).*/, (req, res, next) => {
    if (!req.accepts('html')) return next();
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
}
