import { TRPCError } from '@trpc/server';

export type BlockReason =
  | 'no_number'
  | 'number_released'
  | 'plan'
  | 'policy'
  | 'no_phone'
  | 'opted_out'
  | 'blocked'
  | 'landline'
  | 'phi'
  | 'quiet_hours'
  | 'not_sms'
  | 'empty';

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
  const needsConfirmation = reason === 'phi' || reason === 'quiet_hours';
  return new TRPCError({ code: needsConfirmation ? 'PRECONDITION_FAILED' : 'BAD_REQUEST', message, cause: new SendBlocked(reason, message, details) });
}
