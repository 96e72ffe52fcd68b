import type { Request, Response } from 'express';
import type { AccessService } from '../access/access.service.js';

export type AuthState = {
  user: { id: string; email: string; name: string };
  session: { id: string; kind: 'cookie' | 'bearer'; activeOrgId: string | null };
};

export type Context = {
  auth: AuthState | null;
  ip: string | null;
  userAgent: string | null;
  access: AccessService;
  /** Present over HTTP; the cookie-setting procedures need it. */
  res: Response | null;
  req: Request | null;
};

export const SESSION_COOKIE = 'caretext_session';

export function readSessionToken(req: Request): { token: string; kind: 'cookie' | 'bearer' } | null {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return { token: header.slice(7).trim(), kind: 'bearer' };
  const cookies = req.headers.cookie;
  if (!cookies) return null;
  for (const part of cookies.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === SESSION_COOKIE) return { token: decodeURIComponent(rest.join('=')), kind: 'cookie' };
  }
  return null;
}

export function clientIp(req: Request): string | null {
  return req.ip ?? req.socket.remoteAddress ?? null;
}
