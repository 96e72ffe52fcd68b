import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type Express } from 'express';

/** Vite's hashed output (web/dist/assets): a file's name changes whenever its content does. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * Serves the built SPA; unknown GETs outside the API fall back to index.html for client routing.
 * The app is split by route (web/src/lazyPage.tsx): index.html names the current chunks, so it
 * is never stored (a deploy reaches the next page load), while the chunks themselves are cached
 * for a year. A chunk that no longer exists (an old tab after a deploy) is a 404, not
 * index.html: the page then says it could not load and offers to reload.
 */
export function serveWebApp(app: Express, distDir: string): void {
  const index = path.join(distDir, 'index.html');
  if (!existsSync(index)) return;
  const assetsDir = path.join(distDir, 'assets') + path.sep;
  // Set for every file served: securityHeaders() defaulted Cache-Control to no-store, which
  // serve-static would otherwise keep, and the built files hold no patient data.
  app.use(
    express.static(distDir, {
      index: false,
      setHeaders(res, filePath) {
        res.setHeader('Cache-Control', filePath.startsWith(assetsDir) ? IMMUTABLE : filePath === index ? 'no-store' : 'public, max-age=3600');
      },
    }),
  );
  app.use('/assets', (_req, res) => {
    res.status(404).type('text/plain').send('Not found');
  });
  // The patient portal (a second, small entry: no staff code). The token stays in the page's
  // address only; the page sends it to /api/portal in request bodies.
  const portal = path.join(distDir, 'portal.html');
  app.get(/^\/p\/[A-Za-z0-9_-]{1,200}\/?$/, (_req, res, next) => {
    if (!existsSync(portal)) return next();
    res.setHeader('Cache-Control', 'no-store');
    res.sendFile(portal);
  });
  app.get(/^\/(?!trpc|webhooks|health|api|__twilio|downloads).*/, (req, res, next) => {
    if (!req.accepts('html')) return next();
    res.setHeader('Cache-Control', 'no-store');
    res.sendFile(index);
  });
}
