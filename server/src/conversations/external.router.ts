import { passwordSchema } from '@caretext/shared';
import { z } from 'zod';
import type { AuthService } from '../auth/auth.service.js';
import { deliver } from '../auth/auth.router.js';
import type { Context } from '../trpc/context.js';
import { authedProcedure, publicProcedure, router } from '../trpc/trpc.js';
import type { ExternalChatService } from './external-chat.service.js';

const token = z.string().min(10).max(200);

/** Get started: the page an external collaborator's invitation email links to (/external/<token>). */
export function externalRouter(external: ExternalChatService, auth: AuthService, secureCookies: boolean) {
  const meta = (ctx: Context) => ({ ip: ctx.ip, userAgent: ctx.userAgent });
  return router({
    info: publicProcedure.input(z.object({ token })).query(({ input }) => external.info(input.token)),
    /** No account yet: name and password, then signed in (web cookie, or a bearer token) inside the conversation's org. */
    setUp: publicProcedure
      .input(z.object({ token, name: z.string().trim().min(1, 'Enter your name').max(100), password: passwordSchema, client: z.enum(['web', 'extension']).default('web') }))
      .mutation(async ({ ctx, input }) => {
        const joined = await external.setUp(input.token, input, ctx.ip);
        const session = await auth.startSession(joined.userId, input.client === 'web' ? 'cookie' : 'bearer', meta(ctx), joined.orgId);
        return { conversationId: joined.conversationId, ...deliver(ctx, input.client, session, secureCookies) };
      }),
    /** Already signed in with the invited address's account: join and switch to that org. */
    accept: authedProcedure.input(z.object({ token })).mutation(async ({ ctx, input }) => {
      const joined = await external.accept(input.token, ctx.auth.user, ctx.ip);
      await auth.setActiveOrg(ctx.auth.session.id, joined.orgId);
      return { conversationId: joined.conversationId };
    }),
  });
}
