import type { Refusal } from '@caretext/shared';
import { TRPCClientError } from '@trpc/client';

/** The server's reason for refusing a send, when that is what the error is. */
export function refusalOf(error: unknown): Refusal | null {
  if (!(error instanceof TRPCClientError)) return null;
  const data = error.data as { reason?: unknown; details?: unknown } | undefined;
  if (typeof data?.reason !== 'string') return null;
  const details = data.details && typeof data.details === 'object' ? (data.details as Record<string, unknown>) : {};
  return { reason: data.reason, message: error.message, details };
}
