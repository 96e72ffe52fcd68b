import { emailSchema, type SendMessageResult, sendMessageInput } from '@caretext/shared';
import { z } from 'zod';
import type { AccessService } from '../access/access.service.js';
import { type EventBus, isConversationEvent, type OrgEvent } from '../events/event-bus.js';
import { type Actor, INTERNAL } from '../access/access.service.js';
import type { MessagingService } from '../messages/messaging.service.js';
import type { ParticipantsService } from './participants.service.js';
import { conversationProcedure, orgProcedure, router, teamProcedure } from '../trpc/trpc.js';
import type { ConversationsService } from './conversations.service.js';
import { type InternalChatService, MAX_INTERNAL_PARTICIPANTS } from './internal-chat.service.js';

const id = z.string().min(1).max(64);

export function conversationsRouter(conversations: ConversationsService, messaging: MessagingService, access: AccessService, events: EventBus, internal: InternalChatService, participants: ParticipantsService) {
  /**
   * An organization's events for one signed-in member, as `pass` picks them from the teams they
   * are on now (or just `teamId`): the teams are re-read when teams or members change, so a
   * removed member stops receiving at once; a stream on a team they left ends with
   * `access.revoked`. `resync` (the event channel dropped) is passed on.
   */
  async function* live<T>(actor: Actor, teamId: string | undefined, signal: AbortSignal | undefined, pass: (event: OrgEvent, teams: Set<string>) => Promise<T | null>) {
    // Listening before the access checks below: what is published while they run is kept.
    const stream = events.subscribe(actor.orgId, signal);
    let teams: Set<string>;
    try {
      if (teamId) await access.requireTeamMember(actor, teamId);
      teams = new Set(await access.teamIdsFor(actor));
    } catch (error) {
      await stream.return!();
      throw error;
    }
    for await (const event of stream) {
      if (event.type === 'teams.changed' || event.type === 'members.changed' || event.type === 'access.revoked') {
        const stillMember = await access.requireMembership(actor.orgId, actor.userId).then(() => true, () => false);
        teams = stillMember ? new Set(await access.teamIdsFor(actor)) : new Set();
        if (!stillMember || (teamId && !teams.has(teamId))) {
          yield { type: 'access.revoked' as const };
          return;
        }
        continue;
      }
      // Events may have been missed (the instance's event channel dropped): the client re-reads.
      if (event.type === 'resync') {
        yield event;
        continue;
      }
      const out = await pass(event, teams);
      if (out !== null) yield out;
    }
  }

  /** A blast's bulk change, for the members of its team (and only the watched team, if one). */
  function bulkChange(event: Extract<OrgEvent, { type: 'conversations.changed' }>, teams: Set<string>, teamId: string | undefined) {
    return teams.has(event.teamId) && (!teamId || event.teamId === teamId) ? event : null;
  }

  return router({
    list: orgProcedure
      .input(z.object({ teamId: id.optional(), cursor: id.optional(), limit: z.number().int().min(1).max(100).default(30) }).default({ limit: 30 }))
      .query(({ ctx, input }) => conversations.list(ctx.actor, input)),
    get: conversationProcedure.query(({ ctx }) => conversations.get(ctx.actor, ctx.scope)),
    markRead: conversationProcedure.mutation(({ ctx }) => conversations.markRead(ctx.scope)),
    forPatient: orgProcedure.input(z.object({ patientId: id })).query(({ ctx, input }) => conversations.forPatient(ctx.actor, input.patientId)),
    availability: teamProcedure
      .input(z.object({ teamId: id, patientIds: z.array(id).max(50) }))
      .query(({ ctx, input }) => messaging.availability(ctx.actor, input)),
    startSms: teamProcedure.input(z.object({ teamId: id, patientId: id })).mutation(({ ctx, input }) => messaging.startSms(ctx.actor, input)),
    startSecure: teamProcedure.input(z.object({ teamId: id, patientId: id })).mutation(({ ctx, input }) => messaging.startSecure(ctx.actor, input)),
    /** Create a chat with colleagues: the org's members to pick from (name or email search). */
    colleagues: orgProcedure.input(z.object({ query: z.string().max(100).optional() }).default({})).query(({ ctx, input }) => internal.colleagues(ctx.actor, input.query)),
    /**
     * An internal (staff-to-staff) conversation with these colleagues: found when the same people
     * already have one. `emails` typed in the To field: people outside the org are invited by
     * email when the first message is sent.
     */
    startInternal: orgProcedure
      .input(z.object({ userIds: z.array(id).max(MAX_INTERNAL_PARTICIPANTS), emails: z.array(emailSchema).max(MAX_INTERNAL_PARTICIPANTS).optional() }))
      .mutation(({ ctx, input }) => internal.start(ctx.actor, input)),
    /** Add colleagues to an internal chat (or invite addresses outside the org: mailed with the next message). They see the earlier messages. */
    addPeople: conversationProcedure
      .input(z.object({ userIds: z.array(id).max(MAX_INTERNAL_PARTICIPANTS), emails: z.array(emailSchema).max(MAX_INTERNAL_PARTICIPANTS).optional() }))
      .mutation(({ ctx, input }) => participants.add(ctx.actor, ctx.scope, input)),
    /** Remove someone (the chat's starter or an org admin), or withdraw a pending invitation by `email`. */
    removePerson: conversationProcedure
      .input(z.object({ userId: id.optional(), email: emailSchema.optional() }))
      .mutation(({ ctx, input }) => participants.remove(ctx.actor, ctx.scope, input)),
    /** Leave an internal chat. */
    leave: conversationProcedure.mutation(({ ctx }) => participants.leave(ctx.actor, ctx.scope)),
    /** "Resend invitation": a new Get started link for an invitation that was mailed; the old link stops working. */
    resendInvite: conversationProcedure.input(z.object({ email: emailSchema })).mutation(({ ctx, input }) => participants.resendInvite(ctx.actor, ctx.scope, input.email)),
    send: teamProcedure.input(sendMessageInput).mutation(async ({ ctx, input }) => {
      // An internal conversation (its participants checked by the scope) never takes the patient send path.
      const scope = ctx.scope;
      const { duplicate, message, notification } =
        scope.conversation?.kind === INTERNAL ? await internal.send(ctx.actor, { ...scope, conversation: scope.conversation }, input) : await messaging.send(ctx.actor, input);
      return { duplicate, conversationId: message.conversationId, messageId: message.id, status: message.status, sendAfter: message.sendAfter, notification } satisfies SendMessageResult;
    }),
    /**
     * Live inbox: new messages (with their text), status and confirmation changes, unread counts
     * and opt-outs for the caller's teams (or one team), each carrying what changed so screens
     * patch instead of re-reading. Team membership is re-read when teams change, so a removed
     * member stops receiving at once, and a subscription to a single team ends with `access.revoked`.
     * `resync` says changes may have been missed (as a reconnect does): re-read what is shown.
     */
    events: orgProcedure.input(z.object({ teamId: id.optional(), bulk: z.boolean().optional() }).default({})).subscription(async function* ({ ctx, input, signal }) {
      const senders = new Map<string, string>();
      const audiences = new Map<string, 'team' | Set<string>>();
      yield* live(ctx.actor, input.teamId, signal, async (event, teams) => {
        // `bulk`: the blasts' bulk changes too (as bulkEvents has them), so a browser tab needs one
        // stream for its inbox, not two (over HTTP/1.1 a browser keeps 6 connections per server
        // for all its tabs; each stream holds one).
        if (event.type === 'conversations.changed') return input.bulk ? bulkChange(event, teams, input.teamId) : null;
        if (!isConversationEvent(event)) return null;
        // An internal conversation's events reach its participants only (in the all-teams view),
        // never its team or admins; a patient conversation's reach its team's members.
        // A conversation with a patient is never internal: only the others are looked up (once each).
        // People added or removed: re-read who it reaches; the people removed hear that once (no content).
        const change = event.type === 'conversation.updated' ? event.conversation : null;
        if (change?.participantsChanged) audiences.delete(event.conversationId);
        const audience = event.patientId ? 'team' : await internal.audience(event.conversationId, audiences);
        const removedNow = Boolean(change?.removedUserIds?.includes(ctx.actor.userId));
        if (audience === 'team') {
          if (!teams.has(event.teamId) || (input.teamId && event.teamId !== input.teamId)) return null;
        } else if (input.teamId || (!audience.has(ctx.actor.userId) && !removedNow)) return null;
        return conversations.liveView(event, senders);
      });
    }),
    /**
     * The live inbox's bulk changes alone (`events` with `bulk: true` has them too, which the web
     * app uses): many of a team's conversations got messages
     * at once (a blast's enqueue, Retry Failed, Add Recipients), named by id in chunks
     * (`conversations.changed`) instead of one event per message. Screens re-read what they show
     * of them. Same scoping and ending as `events`: the team's members only.
     */
    bulkEvents: orgProcedure.input(z.object({ teamId: id.optional() }).default({})).subscription(async function* ({ ctx, input, signal }) {
      yield* live(ctx.actor, input.teamId, signal, async (event, teams) => (event.type === 'conversations.changed' ? bulkChange(event, teams, input.teamId) : null));
    }),
  });
}
