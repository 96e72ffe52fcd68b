import { Inject, Injectable } from '@nestjs/common';
import { TRPCError } from '@trpc/server';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import { MailService } from '../mail/mail.service.js';
import type { AuthState } from '../trpc/context.js';
import { CLOCK, type Clock, CONFIG, DATABASE } from '../tokens.js';
import { DUMMY_HASH, hashPassword, verifyPassword } from './password.js';
import { hashToken, newSecretToken } from './tokens.js';

const SESSION_DAYS = 30;
const RESET_MINUTES = 60;
/** Failed sign-ins allowed per email (and, more loosely, per IP) within the window. */
export const SIGN_IN_LIMIT = { perEmail: 5, perIp: 30, windowMinutes: 15 };

type Meta = { ip: string | null; userAgent: string | null };
export type SessionKind = 'cookie' | 'bearer';

@Injectable()
export class AuthService {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly mail: MailService,
  ) {}

  async signUp(input: { name: string; email: string; password: string }, kind: SessionKind, meta: Meta) {
    const existing = await this.db.prisma.user.findUnique({ where: { email: input.email } });
    if (existing) {
      throw new TRPCError({ code: 'CONFLICT', message: 'An account with this email already exists. Sign in instead.' });
    }
    const user = await this.db.prisma.user.create({
      data: { name: input.name.trim(), email: input.email, passwordHash: await hashPassword(input.password) },
    });
    return this.createSession(user.id, kind, meta);
  }

  async signIn(input: { email: string; password: string }, kind: SessionKind, meta: Meta) {
    const since = new Date(this.clock.now().getTime() - SIGN_IN_LIMIT.windowMinutes * 60_000);
    const [emailFailures, ipFailures] = await Promise.all([
      this.db.prisma.loginAttempt.count({ where: { email: input.email, success: false, createdAt: { gte: since } } }),
      meta.ip
        ? this.db.prisma.loginAttempt.count({ where: { ip: meta.ip, success: false, createdAt: { gte: since } } })
        : 0,
    ]);
    if (emailFailures >= SIGN_IN_LIMIT.perEmail || ipFailures >= SIGN_IN_LIMIT.perIp) {
      throw new TRPCError({
        code: 'TOO_MANY_REQUESTS',
        message: `Too many failed sign-in attempts. Wait ${SIGN_IN_LIMIT.windowMinutes} minutes or reset your password.`,
      });
    }
    const user = await this.db.prisma.user.findUnique({ where: { email: input.email } });
    const ok = await verifyPassword(input.password, user?.passwordHash ?? DUMMY_HASH);
    await this.db.prisma.loginAttempt.create({
      data: { email: input.email, ip: meta.ip, success: Boolean(user && ok), createdAt: this.clock.now() },
    });
    if (!user || !ok) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Email or password is incorrect.' });
    return this.createSession(user.id, kind, meta);
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

  async authenticate(token: string): Promise<AuthState | null> {
    if (!token || token.length > 200) return null;
    const session = await this.db.prisma.session.findUnique({
      where: { tokenHash: hashToken(token) },
      include: { user: { select: { id: true, email: true, name: true } } },
    });
    const now = this.clock.now();
    if (!session || session.revokedAt || session.expiresAt <= now) return null;
    if (now.getTime() - session.lastSeenAt.getTime() > 5 * 60_000) {
      await this.db.prisma.session.update({ where: { id: session.id }, data: { lastSeenAt: now } });
    }
    return {
      user: session.user,
      session: { id: session.id, kind: session.kind as SessionKind, activeOrgId: session.activeOrgId },
    };
  }

  async signOut(sessionId: string): Promise<void> {
    await this.db.prisma.session.update({ where: { id: sessionId }, data: { revokedAt: this.clock.now() } });
  }

  async setActiveOrg(sessionId: string, orgId: string | null): Promise<void> {
    await this.db.prisma.session.update({ where: { id: sessionId }, data: { activeOrgId: orgId } });
  }

  /** Always answers the same way, so it cannot be used to find out which emails have accounts. */
  async requestPasswordReset(email: string): Promise<void> {
    const user = await this.db.prisma.user.findUnique({ where: { email } });
    if (!user) return;
    const { token, hash } = newSecretToken();
    await this.db.prisma.passwordResetToken.create({
      data: { userId: user.id, tokenHash: hash, expiresAt: new Date(this.clock.now().getTime() + RESET_MINUTES * 60_000) },
    });
    const link = `${this.config.publicUrl}/reset-password/${token}`;
    await this.mail.send({
      to: user.email,
      subject: 'Reset your CareText password',
      text: `Hi ${user.name},\n\nSomeone asked to reset the password of your CareText account. If it was you, open this link within ${RESET_MINUTES} minutes:\n\n${link}\n\nIf it was not you, ignore this email; your password stays the same.`,
    });
  }

  async resetPassword(token: string, password: string): Promise<void> {
    const now = this.clock.now();
    const row = await this.db.prisma.passwordResetToken.findUnique({ where: { tokenHash: hashToken(token) } });
    if (!row || row.usedAt || row.expiresAt <= now) {
      throw new TRPCError({ code: 'BAD_REQUEST', message: 'This reset link has expired or was already used. Ask for a new one.' });
    }
    const passwordHash = await hashPassword(password);
    const user = await this.db.prisma.user.findUniqueOrThrow({ where: { id: row.userId } });
    await this.db.prisma.$transaction([
      this.db.prisma.passwordResetToken.update({ where: { id: row.id }, data: { usedAt: now } }),
      this.db.prisma.user.update({ where: { id: row.userId }, data: { passwordHash } }),
      // A reset means the old password may be known to someone else: end every session.
      this.db.prisma.session.updateMany({ where: { userId: row.userId, revokedAt: null }, data: { revokedAt: now } }),
      this.db.prisma.loginAttempt.deleteMany({ where: { email: user.email, success: false } }),
    ]);
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
