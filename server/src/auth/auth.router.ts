import { emailSchema, passwordSchema } from '@caretext/shared';
import { z } from 'zod';
import type { MembersService } from '../members/members.service.js';
import { type Context, DEV_MAIL_GRANT_COOKIE, SESSION_COOKIE } from '../trpc/context.js';
import { authedProcedure, publicProcedure, router } from '../trpc/trpc.js';
import type { AuthService } from './auth.service.js';
import { newSecretToken } from './tokens.js';

const clientSchema = z.enum(['web', 'extension']).default('web');

/** Web sessions ride in an httpOnly cookie; the extension keeps a bearer token instead. */
export function deliver(ctx: Context, client: 'web' | 'extension', session: { token: string; expiresAt: Date }, secure: boolean) {
  if (client === 'extension') return { token: session.token, expiresAt: session.expiresAt };
  ctx.res?.cookie(SESSION_COOKIE, session.token, {
    httpOnly: true,
    sameSite: 'lax',
    secure,
    path: '/',
    expires: session.expiresAt,
  });
  return { token: null, expiresAt: session.expiresAt };
}

/**
 * Demo mode (Dev mailbox on): the browser that signs up gets a short-lived grant cookie, and the
 * mail its sign-up causes carries the grant's hash, so that browser can read that one mail on
 * the Dev mailbox while signed out. Nothing else: a reset or invite is never readable this way.
 */
function grantDevMail(ctx: Context, secure: boolean): string {
  const { token, hash } = newSecretToken();
  ctx.res?.cookie(DEV_MAIL_GRANT_COOKIE, token, { httpOnly: true, sameSite: 'strict', secure, path: '/', maxAge: 30 * 60_000 });
  return hash;
}

export function authRouter(auth: AuthService, members: MembersService, secureCookies: boolean, devMailbox: () => boolean = () => false) {
  const meta = (ctx: Context) => ({ ip: ctx.ip, userAgent: ctx.userAgent });
  return router({
    /** Always "check your email": the account is made from the emailed link (confirmSignUp). */
    signUp: publicProcedure
      .input(
        z.object({
          name: z.string().trim().min(1, 'Enter your name').max(100),
          email: emailSchema,
          password: passwordSchema,
          /** Where to continue after confirming (an invitation link), a path on this site. */
          next: z.string().max(300).optional(),
          client: clientSchema,
        }),
      )
      .mutation(async ({ ctx, input }) => {
        await auth.signUp(input, devMailbox() ? grantDevMail(ctx, secureCookies) : null);
        return { confirmationSent: true as const };
      }),
    confirmSignUp: publicProcedure
      .input(z.object({ token: z.string().min(10).max(200), client: clientSchema }))
      .mutation(async ({ ctx, input }) => {
        const { next, ...session } = await auth.confirmSignUp(input.token, input.client === 'web' ? 'cookie' : 'bearer', meta(ctx));
        return { ...deliver(ctx, input.client, session, secureCookies), next };
      }),
    signIn: publicProcedure
      .input(z.object({ email: emailSchema, password: z.string().min(1, 'Enter your password').max(200), client: clientSchema }))
      .mutation(async ({ ctx, input }) => deliver(ctx, input.client, await auth.signIn(input, input.client === 'web' ? 'cookie' : 'bearer', meta(ctx)), secureCookies)),
    signOut: authedProcedure.mutation(async ({ ctx }) => {
      await auth.signOut(ctx.auth.session.id);
      ctx.res?.clearCookie(SESSION_COOKIE, { path: '/' });
      return { ok: true };
    }),
    /** Who am I: null when signed out (not an error, so the app can show the sign-in page). */
    me: publicProcedure.query(({ ctx }) => (ctx.auth ? auth.me(ctx.auth) : null)),
    requestPasswordReset: publicProcedure.input(z.object({ email: emailSchema })).mutation(async ({ input }) => {
      auth.requestPasswordReset(input.email);
      return { ok: true };
    }),
    resetPassword: publicProcedure
      .input(z.object({ token: z.string().min(10).max(200), password: passwordSchema }))
      .mutation(async ({ input }) => {
        await auth.resetPassword(input.token, input.password);
        return { ok: true };
      }),
    inviteInfo: publicProcedure.input(z.object({ token: z.string().min(10).max(200) })).query(({ input }) => members.inviteInfo(input.token)),
    acceptInvite: authedProcedure.input(z.object({ token: z.string().min(10).max(200) })).mutation(async ({ ctx, input }) => {
      const joined = await members.acceptInvite(ctx.auth.user, input.token, ctx.ip);
      await auth.setActiveOrg(ctx.auth.session.id, joined.orgId);
      return joined;
    }),
  });
}
