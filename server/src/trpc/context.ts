import type { Request, Response } from 'express';
import type { AccessService } from '../access/access.service.js';
import type { SessionEnded } from '../auth/auth.service.js';

export type AuthState = {
  user: { id: string; email: string; name: string };
  session: { id: string; kind: 'cookie' | 'bearer'; activeOrgId: string | null };
};

/** What live streams need to end with their session (AuthService implements it). */
export interface SessionWatcher {
  watchSession(session: { id: string; userId: string }, onEnded: (ended: SessionEnded) => void): () => void;
}

export type Context = {
  auth: AuthState | null;
  /** Set when a session was presented but is no longer valid, and why (idle, password reset). */
  authEnded?: SessionEnded | null;
  sessions?: SessionWatcher;
  ip: string | null;
  userAgent: string | null;
  access: AccessService;
  /** Present over HTTP; the cookie-setting procedures need it. */
  res: Response | null;
  req: Request | null;
};

export const SESSION_COOKIE = 'caretext_session';
/** Demo mode: lets a signed-out browser read the mail of its own sign-up (auth.router.ts). */
export const DEV_MAIL_GRANT_COOKIE = 'caretext_signup_mail';

export function readSessionToken(req: Request): { token: string; kind: 'cookie' | 'bearer' } | null {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return { token: header.slice(7).trim(), kind: 'bearer' };
  const token = readCookie(req, SESSION_COOKIE);
  return token ? { token, kind: 'cookie' } : null;
}

export function readCookie(req: Pick<Request, 'headers'>, cookie: string): string | null {
  const cookies = req.headers.cookie;
  if (!cookies) return null;
  for (const part of cookies.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === cookie) {
      try {
        return decodeURIComponent(rest.join('='));
      } catch {
        return null;
      }
    }
  }
  return null;
}

/**
 * The client's address: Express's req.ip, which follows X-Forwarded-For only through the
 * proxies TRUST_PROXY names (see config.ts); from anyone else the header is ignored.
 */
export function clientIp(req: Request): string | null {
  return req.ip ?? req.socket.remoteAddress ?? null;
}

/** Procedures that must be called one per request, so a batch cannot multiply guesses. */
export const UNBATCHABLE = new Set(['auth.signIn', 'auth.signUp', 'auth.confirmSignUp', 'auth.requestPasswordReset', 'auth.resetPassword']);
/** The most calls one batched request may carry (the clients split larger batches). */
export const MAX_BATCH_SIZE = 10;

/**
 * Refuses, before any procedure runs, a batched request (`?batch=1`, paths joined by commas)
 * that is too large or that carries an auth procedure together with anything else.
 * Returns the message to answer 400 with, or null to go on.
 */
export function refuseBatch(pathname: string, batchParam: unknown): { message: string; body: unknown[] } | null {
  // A repeated ?batch=1&batch=1 is still a batch to tRPC (it reads the first value).
  if (!(Array.isArray(batchParam) ? batchParam : [batchParam]).includes('1')) return null;
  let paths: string[];
  try {
    paths = decodeURIComponent(pathname.replace(/^\/+/, '')).split(',');
  } catch {
    paths = [pathname];
  }
  const message =
    paths.length > MAX_BATCH_SIZE
      ? `At most ${MAX_BATCH_SIZE} calls per request.`
      : paths.length > 1 && paths.some((p) => UNBATCHABLE.has(p.trim()))
        ? 'Sign-in and password calls cannot be batched; send each on its own.'
        : null;
  if (!message) return null;
  // Shaped like tRPC's own batch answer (superjson-encoded errors), so clients show the message.
  const error = (path: string) => ({ error: { json: { message, code: -32600, data: { code: 'BAD_REQUEST', httpStatus: 400, path } } } });
  return { message, body: paths.length > MAX_BATCH_SIZE ? [error('')] : paths.map(error) };
}
