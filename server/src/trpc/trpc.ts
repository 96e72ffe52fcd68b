import { initTRPC, TRPCError } from '@trpc/server';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import { DATABASE_UNAVAILABLE_MESSAGE, isDatabaseUnavailable } from '../db/unavailable.js';
import { firstControlChar, hasLoneSurrogate } from '@caretext/shared';
import superjson from 'superjson';
import { z, ZodError } from 'zod';
import type { Actor } from '../access/access.service.js';
import type { AuthState, Context, SessionWatcher } from './context.js';

/** Procedure metadata, set by orgProcedure, adminProcedure and teamProcedure, so tests can find every such procedure on the router. */
export type Meta = { orgScoped?: boolean; adminOnly?: boolean; teamScoped?: boolean };

/** What the client sees of any error we did not raise on purpose (database, bug): never SQL, stacks or table names. */
export const INTERNAL_ERROR_MESSAGE = 'Something went wrong on the server. Please try again; if it keeps happening, contact support.';

/** A timestamp as superjson writes a Date (toISOString), e.g. 2026-04-22T16:00:00.000Z. */
const ISO_TIMESTAMP = /^[+-]?\d{4,6}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * superjson turns "2023-02-30T00:00:00.000Z" into 2 March (new Date rolls over). Our clients
 * always send what toISOString wrote, so a timestamp that does not survive the round trip is
 * an impossible date: refused with a 400 before any procedure sees it.
 */
function refuseImpossibleTimestamps(value: unknown): void {
  const stack = [value];
  while (stack.length) {
    const item = stack.pop();
    if (typeof item === 'string') {
      if (ISO_TIMESTAMP.test(item) && !sameInstant(item)) {
        throw new TRPCError({ code: 'BAD_REQUEST', message: `${item.slice(0, 10)} is not a real date.` });
      }
    } else if (Array.isArray(item)) stack.push(...item);
    else if (item && typeof item === 'object') stack.push(...Object.values(item));
  }
}

function sameInstant(text: string): boolean {
  const date = new Date(text);
  return !Number.isNaN(date.getTime()) && date.toISOString() === text;
}

const t = initTRPC.context<Context>().meta<Meta>().create({
  // Dates stay Dates on the client; impossible ones never become a neighbouring real date.
  transformer: {
    serialize: (value: unknown) => superjson.serialize(value),
    deserialize: (value: unknown) => {
      refuseImpossibleTimestamps((value as { json?: unknown } | null)?.json);
      return superjson.deserialize(value as Parameters<typeof superjson.deserialize>[0]);
    },
  },
  errorFormatter({ shape, error }) {
    // The database restarting or failing over (server.ts answers 503 with Retry-After).
    if (isDatabaseUnavailable(error.cause)) {
      return { ...shape, code: TRPC_ERROR_CODES_BY_KEY.SERVICE_UNAVAILABLE, message: DATABASE_UNAVAILABLE_MESSAGE, data: { code: 'SERVICE_UNAVAILABLE' as const, httpStatus: 503, path: shape.data.path } };
    }
    // An unexpected error (a Prisma/database error, a bug) is logged in full on the server
    // (see onError in server.ts); the client gets a generic message and nothing from its cause.
    if (error.code === 'INTERNAL_SERVER_ERROR') {
      return { ...shape, message: INTERNAL_ERROR_MESSAGE, data: { code: shape.data.code, httpStatus: shape.data.httpStatus, path: shape.data.path } };
    }
    const zod = error.cause instanceof ZodError ? error.cause : null;
    const fields = error.cause && 'fields' in error.cause ? (error.cause.fields as Record<string, string>) : undefined;
    return {
      ...shape,
      // A user-readable message for validation errors, and per-field messages for forms.
      message: zod ? zod.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ') : shape.message,
      data: {
        ...shape.data,
        stack: undefined,
        fieldErrors: zod ? Object.fromEntries(zod.issues.map((i) => [i.path.join('.'), i.message])) : fields,
        // A refused send says why, so the composer can offer the way out (Secure Chat, confirm...).
        reason: error.cause && 'reason' in error.cause ? (error.cause.reason as string) : undefined,
        details: error.cause && 'details' in error.cause ? (error.cause.details as Record<string, unknown>) : undefined,
      },
    };
  },
});

export const router = t.router;
export const middleware = t.middleware;

/**
 * Every procedure's input, before anything else reads it: NUL and other control characters
 * (everything below U+0020 but tab, LF and CR; DEL; U+0080–U+009F) are refused with a 400.
 * PostgreSQL cannot store NUL (it would surface as a 500), and the rest only hide text. An
 * unpaired surrogate (not valid Unicode; jsonb refuses it) is refused the same way.
 */
const refuseControlChars = t.middleware(async ({ getRawInput, next }) => {
  const found = findControlChar(await getRawInput());
  if (found) throw new TRPCError({ code: 'BAD_REQUEST', message: `Text cannot contain control characters or invalid Unicode: ${found.path.slice(0, 100) || 'the input'} has ${found.char}. Remove it and try again.` });
  return next();
});

/** The first forbidden control character (or unpaired surrogate) in a string, key or nested value, with where it is. */
function findControlChar(input: unknown): { path: string; char: string } | null {
  const forbidden = (text: string) => firstControlChar(text) ?? (hasLoneSurrogate(text) ? 'an unpaired surrogate' : null);
  const stack: { value: unknown; path: string }[] = [{ value: input, path: '' }];
  while (stack.length) {
    const { value, path } = stack.pop()!;
    if (typeof value === 'string') {
      const char = forbidden(value);
      if (char) return { path, char };
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => stack.push({ value: item, path: `${path}[${i}]` }));
    } else if (value && typeof value === 'object' && !(value instanceof Date)) {
      for (const [key, item] of Object.entries(value)) {
        const char = forbidden(key);
        if (char) return { path: path || 'a field name', char };
        stack.push({ value: item, path: path ? `${path}.${key}` : key });
      }
    }
  }
  return null;
}

/** Every procedure starts here: the input guard runs before sign-in checks and input parsing. */
const baseProcedure = t.procedure.use(refuseControlChars);

export const publicProcedure = baseProcedure;

/** Signed in; no organization needed (creating or joining one). */
export const authedProcedure = baseProcedure.use(async ({ ctx, next, type, signal }) => {
  if (!ctx.auth) {
    // Say why a session that existed ended (e.g. inactivity), so the app can tell the person.
    const ended = ctx.authEnded;
    throw new TRPCError({ code: 'UNAUTHORIZED', message: ended?.message ?? 'Please sign in.', cause: ended ? new SessionEndedCause(ended.reason) : undefined });
  }
  const result = await next({ ctx: { ...ctx, auth: ctx.auth } });
  if (type !== 'subscription' || !result.ok || !ctx.sessions) return result;
  return { ...result, data: endWithSession(result.data as AsyncIterable<unknown>, ctx.sessions, ctx.auth, signal) };
});

/** Carried as the error's cause: the errorFormatter passes `reason` on to the client. */
class SessionEndedCause extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/**
 * A live stream (SSE) lives no longer than its session: on sign-out, password reset or idle
 * expiry it ends with UNAUTHORIZED (and the reason), so no event reaches a signed-out screen.
 */
async function* endWithSession(
  inner: AsyncIterable<unknown>,
  sessions: SessionWatcher,
  auth: AuthState,
  signal: AbortSignal | undefined,
): AsyncGenerator<unknown> {
  let onEnded!: (error: TRPCError) => void;
  const ended = new Promise<never>((_, reject) => {
    onEnded = reject;
  });
  ended.catch(() => {});
  const stop = sessions.watchSession({ id: auth.session.id, userId: auth.user.id }, (why) =>
    onEnded(new TRPCError({ code: 'UNAUTHORIZED', message: why.message, cause: new SessionEndedCause(why.reason) })),
  );
  const iterator = inner[Symbol.asyncIterator]();
  try {
    while (!signal?.aborted) {
      const next = await Promise.race([iterator.next(), ended]);
      if (next.done) return;
      yield next.value;
    }
  } finally {
    stop();
    // Not awaited: the inner generator may be parked on its event source until the request closes.
    void iterator.return?.()?.catch(() => {});
  }
}

/**
 * Signed in and a current member of the session's active organization. Membership is read on
 * every request, so a removed member loses access on their very next call. An external
 * collaborator (role 'external') is refused every procedure not on EXTERNAL_PROCEDURES.
 */
export const orgProcedure = authedProcedure.meta({ orgScoped: true }).use(async ({ ctx, next, path }) => {
  const orgId = ctx.auth.session.activeOrgId;
  if (!orgId) throw new TRPCError({ code: 'PRECONDITION_FAILED', message: 'Create or join an organization first.' });
  const { org, membership } = await ctx.access.requireMembership(orgId, ctx.auth.user.id);
  const actor: Actor = { userId: ctx.auth.user.id, orgId, role: membership.role, membershipId: membership.id, ip: ctx.ip };
  // External collaborators reach only an allow-list of procedures, checked here once for all.
  ctx.access.requireProcedureAllowed(actor, path);
  return next({ ctx: { ...ctx, org, membership, actor } });
});

export const adminProcedure = orgProcedure.meta({ adminOnly: true }).use(({ ctx, next }) => {
  ctx.access.requireAdmin(ctx.actor);
  return next();
});

const id = z.string().min(1).max(64);

/**
 * Acts on a team's number or conversation: before anything else (the rest of the input, the
 * handler) the team is resolved, from `conversationId` (the conversation's team) or else
 * `teamId`, and the caller must be one of its members (AccessService.requireTeamScope). The
 * handler finds them on ctx.scope: `{ team, conversation }` (conversation null when only a team
 * was named). Another org's id is NOT_FOUND, another team's FORBIDDEN.
 */
export const teamProcedure = orgProcedure
  .meta({ teamScoped: true })
  .input(z.object({ teamId: id.optional(), conversationId: id.optional() }))
  .use(async ({ ctx, input, next }) => next({ ctx: { scope: await ctx.access.requireTeamScope(ctx.actor, input) } }));

/** A team procedure on one conversation (`conversationId` required): ctx.scope.conversation is set. */
export const conversationProcedure = orgProcedure
  .meta({ teamScoped: true })
  .input(z.object({ conversationId: id }))
  .use(async ({ ctx, input, next }) => next({ ctx: { scope: await ctx.access.requireConversation(ctx.actor, input.conversationId) } }));
