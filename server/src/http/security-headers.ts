import type { NextFunction, Request, Response } from 'express';

/**
 * The staff app's Content Security Policy. The built app (web/dist) is one module script and one
 * stylesheet from our origin, with a data: favicon; Preact sets styles through the CSSOM, which
 * CSP does not restrict. No inline script anywhere, no framing by any site (clickjacking), API
 * calls and live updates (SSE) to our own origin only.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Security headers on every Express response (our own small middleware: helmet is not among
 * this project's packages and we need only these). Cache-Control defaults to no-store, because
 * tRPC answers, CSV exports, import reports and phone logs carry patient data; the static
 * assets and index.html (web-app.ts) set their own caching after this.
 */
export function securityHeaders(options: { https: boolean }) {
  return (_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    // Only when we are served over https (PUBLIC_URL): HSTS on a plain-http server would lock users out.
    if (options.https) res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    res.setHeader('Cache-Control', 'no-store');
    next();
  };
}
