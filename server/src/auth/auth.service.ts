import { Inject, Injectable } from '@nestjs/common';
import { TRPCError } from '@trpc/server';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import { EventBus, type SessionEndReason } from '../events/event-bus.js';
import { MailService } from '../mail/mail.service.js';
import type { AuthState } from '../trpc/context.js';
import { CONFIG, DATABASE } from '../injection-tokens.js';
import { CLOCK, type Clock } from '../clock.js';
import { DUMMY_HASH, hashPassword, verifyPassword } from './password.js';
import { confirmSignUp, safeNextPath, startSignUp } from './sign-up.js';
import { hashToken, newSecretToken } from './tokens.js';

const SESSION_DAYS = 30;
const RESET_MINUTES = 60;
/**
 * Failed sign-ins allowed within the window per (email, source address) and per source address.
 * There is deliberately no limit on the account alone: then anyone could lock the real owner
 * out with a few wrong passwords. An attacker is limited where they sign in from instead.
 */
export const SIGN_IN_LIMIT = { perEmailAndAddress: 5, perAddress: 30, windowMinutes: 15 };
/** Reset emails sent per account within the same window (more requests are answered the same, silently). */
export const RESET_MAIL_LIMIT = 3;
/**
 * Automatic logoff. Web (cookie) sessions follow the active organization's policy; extension
 * (bearer) sessions get a fixed, longer limit, since the sidebar is used in bursts over a shift.
 */
export const IDLE = { defaultWebMinutes: 30, bearerMinutes: 12 * 60, touchEveryMs: 60_000 };

type Meta = { ip: string | null; userAgent: string | null };
export type SessionKind = 'cookie' | 'bearer';
/** Why a presented session is not valid any more, in words the user can act on. */
export type SessionEnded = { reason: SessionEndReason; message: string };

@Injectable()
export class AuthService {
  constructor(
    @Inject(DATABASE) readonly db: Database,
    @Inject(CONFIG) readonly config: Config,
    @Inject(CLOCK) readonly clock: Clock,
    readonly mail: MailService,
    private readonly events: EventBus,
  ) {}

  /**
   * Answers "check your email" for every address, in the same time: the password is hashed
   * (the slow part) before anything is looked up, and the lookup and mail happen after
   * answering. See sign-up.ts for the two mails.
   */
  async signUp(input: { name: string; email: string; password: string; next?: string }, devMailGrantHash: string | null = null): Promise<void> {
    const passwordHash = await hashPassword(input.password);
    const pending = { name: input.name.trim(), email: input.email, passwordHash, next: safeNextPath(input.next), devMailGrantHash };
    this.afterAnswering('sign-up mail', () => startSignUp(this, pending));
  }

  /** The emailed link: creates the account and signs in. */
  async confirmSignUp(token: string, kind: SessionKind, meta: Meta) {
    const { userId, next } = await confirmSignUp(this, token);
    return { ...(await this.createSession(userId, kind, meta)), next };
  }

  /**
   * The attempt is recorded before anything else and counted after, so parallel requests
   * cannot all pass the check first: the (limit+1)-th attempt to be recorded always sees the
   * ones before it (each count runs after its own insert committed). No password is checked
   * for a refused attempt.
   */
  async signIn(input: { email: string; password: string }, kind: SessionKind, meta: Meta) {
    const now = this.clock.now();
    const attempt = await this.db.prisma.loginAttempt.create({
      data: { email: input.email, ip: meta.ip, success: false, createdAt: now },
    });
    const since = new Date(now.getTime() - SIGN_IN_LIMIT.windowMinutes * 60_000);
    const recent = { success: false, createdAt: { gte: since } };
    const [pairFailures, addressFailures] = await Promise.all([
      this.db.prisma.loginAttempt.count({ where: { ...recent, email: input.email, ip: meta.ip } }),
      meta.ip ? this.db.prisma.loginAttempt.count({ where: { ...recent, ip: meta.ip } }) : 0,
    ]);
    if (pairFailures > SIGN_IN_LIMIT.perEmailAndAddress || addressFailures > SIGN_IN_LIMIT.perAddress) {
      // A refused attempt checked no password, so it is not a failure that extends the lock.
      await this.db.prisma.loginAttempt.delete({ where: { id: attempt.id } });
      throw new TRPCError({
        code: 'TOO_MANY_REQUESTS',
        message: `Too many failed sign-in attempts from this network. Wait ${SIGN_IN_LIMIT.windowMinutes} minutes or reset your password.`,
      });
    }
    const user = await this.db.prisma.user.findUnique({ where: { email: input.email } });
    const ok = await verifyPassword(input.password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Email or password is incorrect.' });
    await this.db.prisma.loginAttempt.update({ where: { id: attempt.id }, data: { success: true } });
    return this.createSession(user.id, kind, meta);
  }

  /** Signs in someone whose identity another link proved (an external invitation), in this org. */
  async startSession(userId: string, kind: SessionKind, meta: Meta, activeOrgId: string) {
    const session = await this.createSession(userId, kind, meta);
    await this.setActiveOrg(session.sessionId, activeOrgId);
    return session;
  }

  private async createSession(userId: string, kind: SessionKind, meta: Meta) {
    const { token, hash } = newSecretToken();
    const now = this.clock.now();
    // Start in the organization the user belongs to, when there is exactly one obvious choice.
    const firstMembership = await this.db.prisma.membership.findFirst({
      where: { userId },
      orderBy: { createdAt: 'asc' },
    });
    const session = await this.db.prisma.session.create({
      data: {
        userId,
        tokenHash: hash,
        kind,
        activeOrgId: firstMembership?.orgId ?? null,
        ip: meta.ip,
        userAgent: meta.userAgent?.slice(0, 300),
        createdAt: now,
        lastSeenAt: now,
        expiresAt: new Date(now.getTime() + SESSION_DAYS * 86_400_000),
      },
    });
    return { token, expiresAt: session.expiresAt, sessionId: session.id };
  }

  /** The signed-in state for a token, or null (signed out, expired, idle too long). */
  async authenticate(token: string): Promise<AuthState | null> {
    return (await this.authenticateOrExplain(token)).auth;
  }

  /**
   * Like authenticate, and also says why a session that existed is not valid any more (the web
   * app tells the person they were signed out after N minutes of inactivity). A request is
   * activity: lastSeenAt moves, at most once a minute so busy pages do not write on every call.
   */
  async authenticateOrExplain(token: string): Promise<{ auth: AuthState | null; ended: SessionEnded | null }> {
    if (!token || token.length > 200) return { auth: null, ended: null };
    const session = await this.db.prisma.session.findUnique({
      where: { tokenHash: hashToken(token) },
      include: { user: { select: { id: true, email: true, name: true } } },
    });
    if (!session) return { auth: null, ended: null };
    const ended = await this.checkSession(session);
    if (ended) return { auth: null, ended };
    const now = this.clock.now();
    if (now.getTime() - session.lastSeenAt.getTime() >= IDLE.touchEveryMs) {
      await this.db.prisma.session.update({ where: { id: session.id }, data: { lastSeenAt: now } });
    }
    return {
      auth: { user: session.user, session: { id: session.id, kind: session.kind as SessionKind, activeOrgId: session.activeOrgId } },
      ended: null,
    };
  }

  /**
   * Null while the session is valid; otherwise why it ended. A session found idle too long is
   * revoked here (and its live streams told), so a later policy change cannot revive it.
   */
  private async checkSession(session: {
    id: string;
    userId: string;
    kind: string;
    activeOrgId: string | null;
    lastSeenAt: Date;
    expiresAt: Date;
    revokedAt: Date | null;
    endedReason: string | null;
  }): Promise<SessionEnded | null> {
    const now = this.clock.now();
    if (session.revokedAt) return this.explain((session.endedReason ?? 'signed_out') as SessionEndReason, session);
    if (session.expiresAt <= now) return this.explain('signed_out', session);
    const idleMinutes = await this.idleMinutes(session);
    if (now.getTime() - session.lastSeenAt.getTime() <= idleMinutes * 60_000) return null;
    await this.db.prisma.session.updateMany({
      where: { id: session.id, revokedAt: null },
      data: { revokedAt: now, endedReason: 'idle' },
    });
    this.events.publishSessionEnded({ userId: session.userId, sessionId: session.id, reason: 'idle' });
    return this.explain('idle', session);
  }

  private async idleMinutes(session: { kind: string; activeOrgId: string | null }): Promise<number> {
    if (session.kind === 'bearer') return IDLE.bearerMinutes;
    if (!session.activeOrgId) return IDLE.defaultWebMinutes;
    const org = await this.db.prisma.org.findUnique({ where: { id: session.activeOrgId }, select: { idleTimeoutMinutes: true } });
    return org?.idleTimeoutMinutes ?? IDLE.defaultWebMinutes;
  }

  private async explain(reason: SessionEndReason, session: { kind: string; activeOrgId: string | null }): Promise<SessionEnded> {
    switch (reason) {
      case 'idle': {
        const minutes = await this.idleMinutes(session);
        const span = minutes % 60 === 0 && minutes >= 60 ? `${minutes / 60} hour${minutes === 60 ? '' : 's'}` : `${minutes} minutes`;
        return { reason, message: `You were signed out after ${span} of inactivity. Sign in again to continue.` };
      }
      case 'password_reset':
        return { reason, message: 'Your password was changed, so you were signed out. Sign in with the new password.' };
      default:
        return { reason, message: 'Please sign in.' };
    }
  }

  /**
   * Watches a session for a live stream: `onEnded` runs once when it is signed out, reset or
   * revoked (at once, from the event bus) or found idle too long (re-checked every
   * `config.sessionRecheckMs` against the injectable clock; a stream is not activity).
   * Returns the function that stops watching.
   */
  watchSession(session: { id: string; userId: string }, onEnded: (ended: SessionEnded) => void): () => void {
    let done = false;
    const finish = (ended: SessionEnded) => {
      if (done) return;
      done = true;
      stop();
      onEnded(ended);
    };
    const recheck = async () => {
      const row = await this.db.prisma.session.findUnique({ where: { id: session.id } });
      const ended = row ? await this.checkSession(row) : { reason: 'signed_out' as const, message: 'Please sign in.' };
      if (ended) finish(ended);
    };
    const unlisten = this.events.onSessionEnded(session.userId, (event) => {
      if (event.sessionId === null || event.sessionId === session.id) void recheck().catch(() => {});
    });
    const timer = setInterval(() => void recheck().catch(() => {}), this.config.sessionRecheckMs);
    timer.unref();
    const stop = () => {
      unlisten();
      clearInterval(timer);
    };
    return () => {
      done = true;
      stop();
    };
  }

  async signOut(sessionId: string): Promise<void> {
    const session = await this.db.prisma.session.update({
      where: { id: sessionId },
      data: { revokedAt: this.clock.now(), endedReason: 'signed_out' },
    });
    this.events.publishSessionEnded({ userId: session.userId, sessionId, reason: 'signed_out' });
  }

  async setActiveOrg(sessionId: string, orgId: string | null): Promise<void> {
    await this.db.prisma.session.update({ where: { id: sessionId }, data: { activeOrgId: orgId } });
  }

  /**
   * Answers at once and does the work after answering, so neither the answer nor its timing
   * says whether the email has an account: no lookup happens on the request path at all.
   */
  requestPasswordReset(email: string): void {
    this.afterAnswering('password reset mail', () => this.sendPasswordReset(email));
  }

  private async sendPasswordReset(email: string): Promise<void> {
    const user = await this.db.prisma.user.findUnique({ where: { email } });
    if (!user) return;
    const now = this.clock.now();
    // Someone requesting resets in a loop must not flood the owner's inbox. Requests arrive in
    // parallel (and on several instances), so count-then-create holds the user's row lock:
    // two requests never both see room for one more.
    const since = new Date(now.getTime() - SIGN_IN_LIMIT.windowMinutes * 60_000);
    const { token, hash } = newSecretToken();
    const created = await this.db.prisma.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT id FROM "User" WHERE id = ${user.id} FOR UPDATE`;
      const recent = await tx.passwordResetToken.count({ where: { userId: user.id, createdAt: { gte: since } } });
      if (recent >= RESET_MAIL_LIMIT) return false;
      await tx.passwordResetToken.create({
        data: { userId: user.id, tokenHash: hash, createdAt: now, expiresAt: new Date(now.getTime() + RESET_MINUTES * 60_000) },
      });
      return true;
    });
    if (!created) return;
    const link = `${this.config.publicUrl}/reset-password/${token}`;
    await this.mail.send({
      to: user.email,
      subject: 'Reset your CareText password',
      text: `Hi ${user.name},\n\nSomeone asked to reset the password of your CareText account. If it was you, open this link within ${RESET_MINUTES} minutes:\n\n${link}\n\nIf it was not you, ignore this email; your password stays the same.`,
    });
  }

  /** Runs `task` after the current request has been answered; failures are logged, never shown. */
  private afterAnswering(what: string, task: () => Promise<void>): void {
    setImmediate(() => {
      task().catch((error: unknown) => console.error(`[auth] ${what} failed:`, error instanceof Error ? error.message : error));
    });
  }

  /**
   * A token works once, even when several requests present it at the same moment: it is
   * claimed with a conditional update (usedAt IS NULL), and only the request whose update
   * changed the row goes on, in the same transaction as the password change.
   */
  async resetPassword(token: string, password: string): Promise<void> {
    const tokenHash = hashToken(token);
    const invalid = () =>
      new TRPCError({ code: 'BAD_REQUEST', message: 'This reset link has expired or was already used. Ask for a new one.' });
    const valid = (now: Date) => ({ tokenHash, usedAt: null, expiresAt: { gt: now } });
    // Cheap refusal of unknown or used links before the (deliberately slow) password hash.
    if (!(await this.db.prisma.passwordResetToken.findFirst({ where: valid(this.clock.now()) }))) throw invalid();
    const passwordHash = await hashPassword(password);
    const now = this.clock.now();
    const userId = await this.db.prisma.$transaction(async (tx) => {
      const claimed = await tx.passwordResetToken.updateMany({ where: valid(now), data: { usedAt: now } });
      if (claimed.count !== 1) throw invalid();
      const row = await tx.passwordResetToken.findUniqueOrThrow({ where: { tokenHash } });
      const user = await tx.user.update({ where: { id: row.userId }, data: { passwordHash } });
      // A reset means the old password may be known to someone else: end every session.
      await tx.session.updateMany({ where: { userId: row.userId, revokedAt: null }, data: { revokedAt: now, endedReason: 'password_reset' } });
      await tx.loginAttempt.deleteMany({ where: { email: user.email, success: false } });
      return row.userId;
    });
    this.events.publishSessionEnded({ userId, sessionId: null, reason: 'password_reset' });
  }

  async me(auth: AuthState) {
    const memberships = await this.db.prisma.membership.findMany({
      where: { userId: auth.user.id },
      include: { org: { select: { id: true, name: true } } },
      orderBy: { createdAt: 'asc' },
    });
    return {
      user: auth.user,
      activeOrgId: memberships.some((m) => m.orgId === auth.session.activeOrgId) ? auth.session.activeOrgId : null,
      orgs: memberships.map((m) => ({ id: m.org.id, name: m.org.name, role: m.role })),
    };
  }
}
