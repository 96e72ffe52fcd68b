import { initTRPC, TRPCError } from '@trpc/server';
import superjson from 'superjson';
import { ZodError } from 'zod';
import type { Actor } from '../access/access.service.js';
import type { Context } from './context.js';

const t = initTRPC.context<Context>().create({
  // Dates stay Dates on the client.
  transformer: superjson,
  errorFormatter({ shape, error }) {
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

export const publicProcedure = t.procedure;

/** Signed in; no organization needed (creating or joining one). */
export const authedProcedure = t.procedure.use(({ ctx, next }) => {
  if (!ctx.auth) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Please sign in.' });
  return next({ ctx: { ...ctx, auth: ctx.auth } });
});

/**
 * Signed in and a current member of the session's active organization. Membership is read on
 * every request, so a removed member loses access on their very next call.
 */
export const orgProcedure = authedProcedure.use(async ({ ctx, next }) => {
  const orgId = ctx.auth.session.activeOrgId;
  if (!orgId) throw new TRPCError({ code: 'PRECONDITION_FAILED', message: 'Create or join an organization first.' });
  const { org, membership } = await ctx.access.requireMembership(orgId, ctx.auth.user.id);
  const actor: Actor = { userId: ctx.auth.user.id, orgId, role: membership.role, membershipId: membership.id, ip: ctx.ip };
  return next({ ctx: { ...ctx, org, membership, actor } });
});

export const adminProcedure = orgProcedure.use(({ ctx, next }) => {
  ctx.access.requireAdmin(ctx.actor);
  return next();
});

