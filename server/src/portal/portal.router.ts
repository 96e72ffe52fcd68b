import { z } from 'zod';
import { conversationProcedure, orgProcedure, router } from '../trpc/trpc.js';
import type { RecallService } from './recall.service.js';
import type { SecureChatService } from './secure-chat.service.js';

const id = z.string().min(1).max(64);

/**
 * Staff procedures of Secure Chat besides the send itself (`conversations.send` with
 * `channel: 'secure'`). The patient's side is plain HTTP under /api/portal (portal.http.ts).
 */
export function portalRouter(secure: SecureChatService) {
  return router({
    /** A new portal link for the conversation's patient (SMS or email, as a send would); earlier links stop working. */
    resendLink: conversationProcedure.mutation(({ ctx }) => secure.resendLink(ctx.actor, ctx.scope)),
    /** Whether the patient may reply from the portal in this conversation (audited). */
    setReplies: conversationProcedure.input(z.object({ enabled: z.boolean() })).mutation(({ ctx, input }) => secure.setReplies(ctx.actor, ctx.scope, input.enabled)),
  });
}

/**
 * Recall of Secure Chat messages and files (recall.service.ts): the sender recalls; org admins
 * on the team retrieve recalled content, audited. Each checks org and team in the service.
 */
export function recallRouter(recall: RecallService) {
  return router({
    message: orgProcedure.input(z.object({ messageId: id })).mutation(({ ctx, input }) => recall.recallMessage(ctx.actor, input.messageId)),
    attachment: orgProcedure.input(z.object({ attachmentId: id })).mutation(({ ctx, input }) => recall.recallAttachment(ctx.actor, input.attachmentId)),
    /** Admins only: a mutation, as each call writes an audit event. */
    retrieve: orgProcedure.input(z.object({ messageId: id })).mutation(({ ctx, input }) => recall.retrieve(ctx.actor, input.messageId)),
  });
}
