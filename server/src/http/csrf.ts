import type { NextFunction, Request, Response } from 'express';
import { SESSION_COOKIE } from '../trpc/context.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Cross-site request forgery: a page on another site can make the browser send a form (or a
 * "simple" fetch) to us with the session cookie attached. So a state-changing request that
 * carries the cookie must come from our own origin: PUBLIC_URL's, or the one the browser
 * addressed (Host; it names us even behind the Vite dev proxy). Browsers send Origin on every
 * POST; when it is missing we go by Sec-Fetch-Site. A request with neither is not from a
 * browser (curl, scripts) and cannot be forged by a page. Bearer-token requests (the
 * extension) are not sent by browsers on their own, so they are not CSRF-able; Twilio webhooks
 * carry no cookie and are checked by their signature.
 */
export function csrfGuard(publicUrl: () => string) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (SAFE_METHODS.has(req.method)) return next();
    if (req.headers.authorization?.startsWith('Bearer ')) return next();
    if (!hasSessionCookie(req)) return next();
    const origin = req.headers.origin;
    const site = req.headers['sec-fetch-site'];
    const allowed = origin !== undefined ? ownOrigins(req, publicUrl()).has(origin) : site === undefined || site === 'same-origin';
    if (allowed) return next();
    res.status(403).setHeader('Cache-Control', 'no-store');
    res.json({ error: 'This request came from another website, so it was refused. Use CareText itself to make changes.' });
  };
}

/**
 * tRPC mutations take JSON only: a cross-site HTML form can send multipart/form-data,
 * urlencoded or text/plain without a CORS preflight, but never application/json.
 */
export function trpcJsonOnly(req: Request, res: Response, next: NextFunction) {
  if (req.method !== 'POST') return next();
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json') return next();
  res.status(415).setHeader('Cache-Control', 'no-store');
  res.json({ error: 'CareText API calls must be sent as application/json.' });
}

function hasSessionCookie(req: Request): boolean {
  return (req.headers.cookie ?? '').split(';').some((part) => part.trim().startsWith(`${SESSION_COOKIE}=`));
}

function ownOrigins(req: Request, publicUrl: string): Set<string> {
  const own = new Set<string>();
  try {
    own.add(new URL(publicUrl).origin);
  } catch {
    // config.ts validates PUBLIC_URL; nothing to add if it somehow is not a URL
  }
  if (req.headers.host) own.add(`${req.protocol}://${req.headers.host}`);
  return own;
}
