import { formatSendTime } from '../../lib/dates';

export type MessageLike = {
  direction: string;
  status: string;
  errorCode: string | null;
  errorMessage: string | null;
  sendAfter: Date | string | null;
};

export type StatusView = {
  label: string;
  tone: 'pending' | 'ok' | 'error' | 'muted';
  /** Why it did not arrive, for Undelivered/Failed. */
  detail: string | null;
};

/**
 * What a message's delivery status means to staff. Carriers report no "read" for plain SMS, so
 * Delivered (reached the phone) is as far as it goes.
 */
export function messageStatus(m: MessageLike, now: Date = new Date()): StatusView | null {
  if (m.direction !== 'outbound') return null;
  const detail = m.errorMessage || m.errorCode ? [m.errorMessage, m.errorCode && `(error ${m.errorCode})`].filter(Boolean).join(' ') : null;
  switch (m.status) {
    case 'queued':
      if (m.sendAfter && new Date(m.sendAfter) > now) return { label: `Scheduled for ${formatSendTime(m.sendAfter)}`, tone: 'pending', detail: 'Held until quiet hours end.' };
      return { label: 'Queued', tone: 'pending', detail: null };
    case 'sending':
      return { label: 'Sending', tone: 'pending', detail: null };
    case 'sent':
      return { label: 'Sent', tone: 'ok', detail: null };
    case 'delivered':
      return { label: 'Delivered', tone: 'ok', detail: null };
    case 'undelivered':
      return { label: 'Undelivered', tone: 'error', detail };
    case 'failed':
      return { label: 'Failed', tone: 'error', detail };
    case 'canceled':
      return { label: 'Canceled', tone: 'muted', detail };
    default:
      return { label: m.status.charAt(0).toUpperCase() + m.status.slice(1), tone: 'muted', detail };
  }
}
