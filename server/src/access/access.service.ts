import { Inject, Injectable } from '@nestjs/common';
import { TRPCError } from '@trpc/server';
import type { Database } from '../db/database.js';
import type { Conversation, Membership, Org } from '../generated/prisma/client.js';
import { DATABASE } from '../injection-tokens.js';

/** The kind of a staff-to-staff conversation (only its participants see it). */
export const INTERNAL = 'internal';

/** The role of someone outside the org, invited into its internal chats by email (seat-free). */
export const EXTERNAL = 'external';
export const isExternal = (role: string) => role === EXTERNAL;

/**
 * The only org procedures an external collaborator may call (trpc.ts: orgProcedure refuses
 * every other one with FORBIDDEN before its input is even read): the conversations they are in,
 * sending and recalling there, starting chats with (and adding to their chats) the people they may
 * reach, removing people from a chat they started, leaving a chat, their files, and leaving the org. Settings, policies, members, teams, patients, numbers, blasts, cohorts, analytics and
 * audit are not here, so they are refused; a procedure added later is refused until listed.
 */
export const EXTERNAL_PROCEDURES: ReadonlySet<string> = new Set([
  'orgs.current',
  'orgs.events',
  'conversations.list',
  'conversations.get',
  'conversations.markRead',
  'conversations.send',
  'conversations.colleagues',
  'conversations.startInternal',
  'conversations.addPeople',
  'conversations.removePerson',
  'conversations.leave',
  'conversations.events',
  'attachments.link',
  'attachments.upload',
  'recall.message',
  'recall.attachment',
  'members.leave',
]);

export const ADMIN_ROLES: ReadonlySet<string> = new Set(['owner', 'admin']);
export const isAdmin = (role: string) => ADMIN_ROLES.has(role);

declare const memberChecked: unique symbol;

/**
 * What a team-scoped procedure acts on (trpc.ts: teamProcedure): a team the caller is a member
 * of, and the conversation when one was named. Only AccessService makes one, so a service that
 * takes a TeamScope cannot be handed an unchecked team or conversation.
 */
export type TeamScope = { readonly team: { id: string; name: string; orgId: string }; readonly conversation: Conversation | null; readonly [memberChecked]: true };
export type ConversationScope = TeamScope & { readonly conversation: Conversation };

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
    // External collaborators are on no team, whatever a TeamMember row might say.
    if (isExternal(actor.role)) throw new TRPCError({ code: 'FORBIDDEN', message: 'People outside the organization can only use the chats they are in.' });
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

  /**
   * The first-line guard of team-scoped procedures: the conversation named (this org's, on a team
   * of the caller's) and its team, or else the team named. Naming both, they must agree.
   */
  async requireTeamScope(actor: Actor, named: { teamId?: string; conversationId?: string }): Promise<TeamScope> {
    if (named.conversationId) {
      const scope = await this.requireConversation(actor, named.conversationId);
      if (named.teamId && named.teamId !== scope.team.id) throw new TRPCError({ code: 'NOT_FOUND', message: 'Conversation not found.' });
      return scope;
    }
    if (named.teamId) return { team: await this.requireTeamMember(actor, named.teamId), conversation: null } as TeamScope;
    throw new TRPCError({ code: 'BAD_REQUEST', message: 'Name a team or a conversation.' });
  }

  /**
   * A conversation of this org on a team of the caller's; another org's is NOT_FOUND, another team's FORBIDDEN.
   * An internal (staff-to-staff) conversation is its participants' alone, whatever their teams or
   * role: anyone else gets NOT_FOUND, as if it did not exist. Its team is where it was started.
   */
  async requireConversation(actor: Actor, conversationId: string): Promise<ConversationScope> {
    const conversation = await this.db.prisma.conversation.findFirst({ where: { id: conversationId, orgId: actor.orgId } });
    if (!conversation) throw new TRPCError({ code: 'NOT_FOUND', message: 'Conversation not found.' });
    if (conversation.kind === INTERNAL) {
      const participant = await this.db.prisma.conversationParticipant.findUnique({ where: { conversationId_userId: { conversationId, userId: actor.userId } }, select: { userId: true } });
      if (!participant) throw new TRPCError({ code: 'NOT_FOUND', message: 'Conversation not found.' });
      const team = await this.db.prisma.team.findUniqueOrThrow({ where: { id: conversation.teamId }, select: { id: true, name: true, orgId: true } });
      return { team, conversation } as ConversationScope;
    }
    if (isExternal(actor.role)) throw new TRPCError({ code: 'NOT_FOUND', message: 'Conversation not found.' });
    return { team: await this.requireTeamMember(actor, conversation.teamId), conversation } as ConversationScope;
  }

  /** Team ids the user may act for within the org (for filtering lists in SQL). */
  async teamIdsFor(actor: Actor): Promise<string[]> {
    if (isExternal(actor.role)) return [];
    const rows = await this.db.prisma.teamMember.findMany({
      where: { userId: actor.userId, team: { orgId: actor.orgId } },
      select: { teamId: true },
    });
    return rows.map((r) => r.teamId);
  }

  /** The central allow-list check for external collaborators (see EXTERNAL_PROCEDURES). */
  requireProcedureAllowed(actor: Pick<Actor, 'role'>, path: string): void {
    if (isExternal(actor.role) && !EXTERNAL_PROCEDURES.has(path)) {
      throw new TRPCError({ code: 'FORBIDDEN', message: 'People outside the organization can only use the chats they are in.' });
    }
  }

  requireAdmin(actor: Actor): void {
    if (!isAdmin(actor.role)) throw new TRPCError({ code: 'FORBIDDEN', message: 'Only organization admins can do this.' });
  }
}
