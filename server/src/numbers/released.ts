import { cancelText, formatPhoneForDisplay } from '@caretext/shared';

const on = (at: Date | null) => (at ? ` on ${at.toISOString().slice(0, 10)}` : '');

/** Why nothing more goes out of a conversation whose number was released (composer, send refusal). */
export function releasedReason(e164: string, releasedAt: Date | null): string {
  return `This number (${formatPhoneForDisplay(e164)}) was released${on(releasedAt)}; start a new conversation from a current number.`;
}

/** Under a waiting message canceled because its number was released. */
export function releasedCancelText(e164: string, releasedAt: Date | null): string {
  return cancelText('released', { number: e164, releasedAt });
}
