import { type BlockReason, refusalAsksConfirmation } from '@caretext/shared';
import { TRPCError } from '@trpc/server';

/** Why a send was refused, in a shape the composer can act on (e.g. offer Secure Chat for `phi`). */
export class SendBlocked extends Error {
  constructor(
    readonly reason: BlockReason,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export function refuse(reason: BlockReason, message: string, details: Record<string, unknown> = {}): TRPCError {
  return new TRPCError({ code: refusalAsksConfirmation(reason) ? 'PRECONDITION_FAILED' : 'BAD_REQUEST', message, cause: new SendBlocked(reason, message, details) });
}
