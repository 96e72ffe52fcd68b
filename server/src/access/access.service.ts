import { Inject, Injectable } from '@nestjs/common';
import { TRPCError } from '@trpc/server';
import type { Database } from '../db/database.js';
import type { Membership, Org } from '../generated/prisma/client.js';
import { DATABASE } from '../tokens.js';

export const ADMIN_ROLES: ReadonlySet<string> = new Set(['owner', 'admin']);
export const isAdmin = (role: string) => ADMIN_ROLES.has(role);

/** Who the caller is inside an organization; every org-scoped service method takes one. */
export type Actor = { userId: string; orgId: string; role: string; membershipId: string; ip: string | null };

/**
 * The one place that answers "may this user act here". Routers resolve the actor once per
 * request through it; services call the team guard before touching team data.
 */
@Injectable()
export class AccessService {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async requireMembership(orgId: string, userId: string): Promise<{ org: Org; membership: Membership }> {
    const found = await this.db.prisma.membership.findUnique({
      where: { orgId_userId: { orgId, userId } },
      include: { org: true },
    });
    if (!found) throw new TRPCError({ code: 'FORBIDDEN', message: 'You are no longer a member of this organization.' });
    const { org, ...membership } = found;
    return { org, membership };
  }

  /**
   * May this user act for (send from, read the conversations of) this team? Only its members
   * may: admins manage teams but do not read a team's patients unless they join it.
   * A team of another organization is NOT_FOUND, never FORBIDDEN, so ids do not leak.
   */
  async requireTeamMember(actor: Actor, teamId: string): Promise<{ id: string; name: string; orgId: string }> {
    const team = await this.db.prisma.team.findFirst({
      where: { id: teamId, orgId: actor.orgId },
      include: { members: { where: { userId: actor.userId }, select: { userId: true } } },
    });
    if (!team) throw new TRPCError({ code: 'NOT_FOUND', message: 'Team not found.' });
    if (team.members.length === 0) {
      throw new TRPCError({ code: 'FORBIDDEN', message: `You are not a member of the team ${team.name}.` });
    }
    return { id: team.id, name: team.name, orgId: team.orgId };
  }

  /** Team ids the user may act for within the org (for filtering lists in SQL). */
  async teamIdsFor(actor: Actor): Promise<string[]> {
    const rows = await this.db.prisma.teamMember.findMany({
      where: { userId: actor.userId, team: { orgId: actor.orgId } },
      select: { teamId: true },
    });
    return rows.map((r) => r.teamId);
  }

  requireAdmin(actor: Actor): void {
    if (!isAdmin(actor.role)) throw new TRPCError({ code: 'FORBIDDEN', message: 'Only organization admins can do this.' });
  }
}
