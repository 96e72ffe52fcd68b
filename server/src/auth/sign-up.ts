import { TRPCError } from '@trpc/server';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { MailService } from '../mail/mail.service.js';
import type { Clock } from '../clock.js';
import { hashToken, newSecretToken } from './tokens.js';

/**
 * Sign-up in two steps, as products that must not reveal who has an account do it: the form
 * answers "check your email" for every address, and the account is created from the emailed
 * link. An address that already has an account gets a note saying so (with the sign-in and
 * reset links) instead, so its owner is told and nobody else learns anything.
 */
export const CONFIRM_HOURS = 24;
/** Mails sent per address within this many minutes, whatever is typed into the form. */
export const SIGN_UP_MAIL_LIMIT = { perEmail: 3, windowMinutes: 15 };

type Deps = { db: Database; config: Config; clock: Clock; mail: MailService };
export type PendingSignUp = {
  name: string;
  email: string;
  passwordHash: string;
  next: string | null;
  /** Demo mode: hash of the grant cookie of the browser that signed up (see devMailboxRouter). */
  devMailGrantHash: string | null;
};

/** Runs after the request was answered (see AuthService.signUp). */
export async function startSignUp(deps: Deps, pending: PendingSignUp): Promise<void> {
  const { db, config, clock, mail } = deps;
  const now = clock.now();
  const since = new Date(now.getTime() - SIGN_UP_MAIL_LIMIT.windowMinutes * 60_000);
  const recent = await db.prisma.signUpRequest.count({ where: { email: pending.email, createdAt: { gte: since } } });
  if (recent >= SIGN_UP_MAIL_LIMIT.perEmail) return;
  const existing = await db.prisma.user.findUnique({ where: { email: pending.email } });
  const { token, hash } = newSecretToken();
  await db.prisma.signUpRequest.create({
    data: {
      email: pending.email,
      name: pending.name,
      // An existing account's row is only counted (throttling), never confirmed.
      passwordHash: existing ? null : pending.passwordHash,
      tokenHash: hash,
      next: pending.next,
      createdAt: now,
      expiresAt: new Date(now.getTime() + CONFIRM_HOURS * 3_600_000),
      usedAt: existing ? now : null,
    },
  });
  const tag = pending.devMailGrantHash ? { kind: 'sign-up' as const, grantHash: pending.devMailGrantHash } : undefined;
  if (existing) {
    await mail.send({
      tag,
      to: existing.email,
      subject: 'You already have a CareText account',
      text: `Hi ${existing.name},\n\nSomeone (maybe you) tried to create a CareText account with this email address, which already has one. Nothing was changed.\n\nTo sign in: ${config.publicUrl}/sign-in\nForgot your password? ${config.publicUrl}/forgot-password\n\nIf it was not you, you can ignore this email.`,
    });
    return;
  }
  await mail.send({
    tag,
    to: pending.email,
    subject: 'Confirm your email to finish signing up for CareText',
    text: `Hi ${pending.name},\n\nOpen this link within ${CONFIRM_HOURS} hours to confirm your email and finish creating your CareText account:\n\n${config.publicUrl}/confirm-email/${token}\n\nIf you did not sign up, ignore this email; no account is created.`,
  });
}

/**
 * Creates the account from a confirmation link. The link is claimed with a conditional update,
 * so two clicks (or two tabs) create one account.
 */
export async function confirmSignUp(deps: Deps, token: string): Promise<{ userId: string; next: string | null }> {
  const { db, clock } = deps;
  const now = clock.now();
  const tokenHash = hashToken(token);
  return db.prisma.$transaction(async (tx) => {
    const claimed = await tx.signUpRequest.updateMany({
      where: { tokenHash, usedAt: null, expiresAt: { gt: now }, passwordHash: { not: null } },
      data: { usedAt: now },
    });
    if (claimed.count !== 1) {
      throw new TRPCError({ code: 'BAD_REQUEST', message: 'This confirmation link has expired or was already used. Sign in, or sign up again.' });
    }
    const row = await tx.signUpRequest.findUniqueOrThrow({ where: { tokenHash } });
    // Two pending sign-ups for one address: the first confirmed wins.
    if (await tx.user.findUnique({ where: { email: row.email } })) {
      throw new TRPCError({ code: 'CONFLICT', message: 'An account with this email already exists. Sign in instead.' });
    }
    const user = await tx.user.create({ data: { name: row.name, email: row.email, passwordHash: row.passwordHash! } });
    return { userId: user.id, next: row.next };
  });
}

/** Only a path on this site (no scheme, no `//host`), so a link cannot send people elsewhere. */
export function safeNextPath(next: string | undefined | null): string | null {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.includes('\\') || next.length > 300) return null;
  return next;
}
