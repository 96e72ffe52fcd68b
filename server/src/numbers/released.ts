import { formatPhoneForDisplay } from '@caretext/shared';

/** Why nothing more goes out of a conversation whose number was released (composer, send refusal). */
export function releasedReason(e164: string, releasedAt: Date | null): string {
  return `The number ${formatPhoneForDisplay(e164)} was released${releasedAt ? ` on ${releasedAt.toISOString().slice(0, 10)}` : ''}; start a new conversation from a current number.`;
}

/** Under a waiting message canceled because its number was released. */
export function releasedCancelText(e164: string, releasedAt: Date | null): string {
  const reason = releasedReason(e164, releasedAt);
  return `Not sent: ${reason.charAt(0).toLowerCase()}${reason.slice(1)}`;
}
