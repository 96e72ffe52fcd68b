import { estimateSmsCost, smsSegments } from '@caretext/shared';
import { TRPCClientError } from '@trpc/client';

/** "142 / 160 · 1 segment · GSM-7": what the text costs in SMS terms as it is typed. */
export function segmentSummary(text: string): { counter: string; segments: number; encoding: string; cost: string } {
  const info = smsSegments(text);
  const capacity = info.perSegment * Math.max(1, info.segments);
  const segments = `${info.segments} segment${info.segments === 1 ? '' : 's'}`;
  return {
    counter: `${info.unitsUsed} / ${capacity} · ${segments} · ${info.encoding}`,
    segments: info.segments,
    encoding: info.encoding,
    cost: estimateSmsCost({ segments: info.segments, recipients: 1, channel: 'sms' }).display,
  };
}

export type Refusal = {
  /** phi | quiet_hours ask the sender first; the others (opted_out, landline, …) are final. */
  reason: string;
  message: string;
  details: Record<string, unknown>;
};

/** The server's reason for refusing a send, when that is what the error is. */
export function refusalOf(error: unknown): Refusal | null {
  if (!(error instanceof TRPCClientError)) return null;
  const data = error.data as { reason?: unknown; details?: unknown } | undefined;
  if (typeof data?.reason !== 'string') return null;
  const details = data.details && typeof data.details === 'object' ? (data.details as Record<string, unknown>) : {};
  return { reason: data.reason, message: error.message, details };
}

/** A fresh key per composed message; a retry of the same message reuses it, so it is never sent twice. */
export function newIdempotencyKey(): string {
  return typeof crypto.randomUUID === 'function' ? crypto.randomUUID() : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}`;
}
