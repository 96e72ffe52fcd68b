/**
 * What a message's status is, in which order statuses happen, why a send is refused, and how
 * staff read each of these: one definition for the server (ranks in SQL, refusals), the web
 * Inbox and the extension sidebar, so a new status or reason cannot be known to one surface only.
 */

/** Every status a stored message can have (`Message.status`). */
export const MESSAGE_STATUSES = ['queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'received', 'canceled'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/**
 * Statuses in the order they can happen (`Message.statusRank`); a late or repeated carrier
 * callback never moves a message backwards. `accepted`, `scheduled` and `read` are carrier
 * words we rank but do not keep apart. Final statuses share the top rank before `read`:
 * once delivered, failed or canceled, no callback changes it again.
 */
export const STATUS_RANK: Readonly<Record<string, number>> = Object.freeze({
  accepted: 0,
  scheduled: 0,
  queued: 0,
  received: 0,
  sending: 1,
  sent: 2,
  delivered: 3,
  undelivered: 3,
  failed: 3,
  canceled: 3,
  read: 4,
});

/** The rank of a status (0 for a word we do not know, so it can never overwrite a known one). */
export function statusRank(status: string): number {
  return Object.hasOwn(STATUS_RANK, status) ? STATUS_RANK[status]! : 0;
}

/** Whether a message at `from` may move to `to`: only forward. */
export function movesForward(from: string, to: string): boolean {
  return statusRank(to) > statusRank(from);
}

/** Why the server refused a send (`data.reason` of the refusal), in the order it checks them. */
export const BLOCK_REASONS = [
  'no_number',
  'number_released',
  'plan',
  'policy',
  'no_phone',
  'opted_out',
  'blocked',
  'landline',
  'phi',
  'quiet_hours',
  'not_sms',
  'empty',
] as const;
export type BlockReason = (typeof BLOCK_REASONS)[number];

/** Short human labels of the refusal reasons (the server's message says the details). */
export const BLOCK_REASON_LABELS: Readonly<Record<BlockReason, string>> = Object.freeze({
  no_number: 'No texting number',
  number_released: 'Number released',
  plan: 'SMS plan needed',
  policy: 'SMS turned off',
  no_phone: 'No phone number',
  opted_out: 'Opted out',
  blocked: 'Blocked',
  landline: 'Landline',
  phi: 'May contain PHI',
  quiet_hours: 'Quiet hours',
  not_sms: 'Not an SMS conversation',
  empty: 'Empty message',
});

export function isBlockReason(value: unknown): value is BlockReason {
  return typeof value === 'string' && (BLOCK_REASONS as readonly string[]).includes(value);
}

/** Refusals the sender may override by confirming (the composer asks, then sends again). */
export function refusalAsksConfirmation(reason: string | null | undefined): boolean {
  return reason === 'phi' || reason === 'quiet_hours';
}

export type StatusTone = 'pending' | 'ok' | 'error' | 'muted';

export type StatusView = {
  label: string;
  tone: StatusTone;
  /** Why it did not arrive (Undelivered/Failed, with the carrier code) or was not sent (Canceled). */
  detail: string | null;
};

export type StatusMessage = {
  direction: string;
  status: string;
  errorCode: string | null;
  errorMessage: string | null;
  sendAfter: Date | string | null;
};

/**
 * What an outbound message's status means to staff; null for the patient's own messages.
 * Carriers report no "read" for plain SMS, so Delivered (reached the phone) is as far as it goes.
 * `formatTime` renders the quiet-hours send time the way the surface shows times.
 */
export function describeStatus(m: StatusMessage, formatTime: (when: Date | string) => string, now: Date = new Date()): StatusView | null {
  if (m.direction !== 'outbound') return null;
  const detail = m.errorMessage || m.errorCode ? [m.errorMessage, m.errorCode && `(error ${m.errorCode})`].filter(Boolean).join(' ') : null;
  switch (m.status) {
    case 'queued':
      if (m.sendAfter && new Date(m.sendAfter) > now) return { label: `Scheduled for ${formatTime(m.sendAfter)}`, tone: 'pending', detail: 'Held until quiet hours end.' };
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
