import { Inject, Injectable } from '@nestjs/common';
import { TRPCError } from '@trpc/server';
import { AccessService, isAdmin } from '../access/access.service.js';
import { hashToken } from '../auth/tokens.js';
import type { Database } from '../db/database.js';
import type { Prisma } from '../generated/prisma/client.js';
import type { AuthState } from '../trpc/context.js';
import { DATABASE } from '../injection-tokens.js';
import { DevMailState } from './dev-mail-state.js';

/**
 * Demo mode only (no SMTP_URL, demo tools on): what the embedded sink caught. The mailbox holds
 * password-reset links and invite links, so it is a key to every account: a signed-in user
 * sees only mail addressed to them; an admin also sees their org's invites to people still
 * pending (so they can pass the link on) and their org's port-in requests (which go to
 * SUPPORT_EMAIL and carry carrier account numbers). Nobody else's mail, ever. Signed out, a
 * browser sees only the mail of its own sign-up (the grant cookie set by auth.signUp), so a
 * newcomer can confirm their address in the demo.
 */
@Injectable()
export class DevMailboxService {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly access: AccessService,
    private readonly state: DevMailState,
  ) {}

  enabled(): boolean {
    return this.state.enabled;
  }

  /** `grant`: the sign-up grant cookie's value, if the browser has one. */
  async list(auth: AuthState | null, grant: string | null, limit: number) {
    this.requireEnabled();
    if (!auth && !grant) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in to read your mail.' });
    const visible = auth ? await this.visibleMail(auth) : [];
    const where: Prisma.DevMailWhereInput = grant ? { OR: [{ id: { in: visible } }, { kind: 'sign-up', grantHash: hashToken(grant) }] } : { id: { in: visible } };
    return this.db.prisma.devMail.findMany({ where, orderBy: { createdAt: 'desc' }, take: limit, omit: { grantHash: true } });
  }

  async clear(auth: AuthState) {
    this.requireEnabled();
    const visible = await this.visibleMail(auth);
    await this.db.prisma.devMail.deleteMany({ where: { id: { in: visible } } });
    return { ok: true };
  }

  private requireEnabled() {
    if (!this.state.enabled) throw new TRPCError({ code: 'NOT_FOUND', message: 'The dev mailbox is off on this server (it needs no SMTP_URL and DEMO_TOOLS on).' });
  }

  /** Ids of the mail this user may read (and clear). Addresses are matched exactly, never by substring. */
  private async visibleMail(auth: AuthState): Promise<string[]> {
    const email = auth.user.email.toLowerCase();
    const orgId = auth.session.activeOrgId;
    const membership = orgId ? await this.access.requireMembership(orgId, auth.user.id).then((m) => m.membership).catch(() => null) : null;
    const admin = membership && orgId && isAdmin(membership.role) ? orgId : null;
    const pending = admin
      ? new Set((await this.db.prisma.invite.findMany({ where: { orgId: admin, acceptedAt: null, revokedAt: null }, select: { email: true } })).map((i) => i.email.toLowerCase()))
      : new Set<string>();
    // External collaborators' invitations, while not accepted: the admins of the inviting org, as for member invites.
    const pendingExternal = admin
      ? new Set((await this.db.prisma.externalInvite.findMany({ where: { orgId: admin, acceptedAt: null }, select: { email: true } })).map((i) => i.email.toLowerCase()))
      : new Set<string>();

    // A broad first cut in SQL, then the exact rules below.
    const or: Prisma.DevMailWhereInput[] = [{ to: { contains: email, mode: 'insensitive' } }];
    if (admin) or.push({ orgId: admin, kind: { in: ['invite', 'port-in', 'external-invite'] } });
    const candidates = await this.db.prisma.devMail.findMany({ where: { OR: or }, select: { id: true, to: true, kind: true, orgId: true } });

    return candidates
      .filter((mail) => {
        const recipients = mail.to.split(',').map((a) => a.trim().toLowerCase());
        // Port-in requests go to the support address: only the requesting org's admins see them,
        // whoever signs up with that address.
        if (mail.kind === 'port-in') return admin !== null && mail.orgId === admin;
        if (recipients.includes(email)) return true;
        if (mail.kind === 'external-invite') return admin !== null && mail.orgId === admin && recipients.some((r) => pendingExternal.has(r));
        return mail.kind === 'invite' && admin !== null && mail.orgId === admin && recipients.some((r) => pending.has(r));
      })
      .map((mail) => mail.id);
  }
}
