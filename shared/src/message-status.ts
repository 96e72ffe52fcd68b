import { formatPhoneForDisplay } from './phone-format.js';

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

/**
 * Why a waiting message was canceled when it came due (the send worker asks again then), in the
 * order the server checks them: the number was released, the plan or policy changed, the sender
 * left, the patient was blocked, opted out or changed phone.
 */
export const CANCEL_REASONS = ['released', 'plan', 'policy', 'sender_left_org', 'sender_left_team', 'blocked', 'opted_out', 'phone_changed'] as const;
export type CancelReason = (typeof CANCEL_REASONS)[number];

/** Short human labels of the cancel reasons. */
export const CANCEL_REASON_LABELS: Readonly<Record<CancelReason, string>> = Object.freeze({
  released: 'Number released',
  plan: 'SMS plan ended',
  policy: 'SMS turned off',
  sender_left_org: 'Sender left the organization',
  sender_left_team: 'Sender left the team',
  blocked: 'Blocked',
  opted_out: 'Opted out',
  phone_changed: 'Phone number changed',
});

/**
 * What the thread shows under a canceled message (its errorMessage). `number` is the sending
 * number (E.164), `releasedAt` when it was released.
 */
export function cancelText(reason: CancelReason, context: { number?: string | null; releasedAt?: Date | null } = {}): string {
  const number = context.number ? formatPhoneForDisplay(context.number) : null;
  switch (reason) {
    case 'released':
      return `Not sent: the number ${number ?? ''} was released${context.releasedAt ? ` on ${context.releasedAt.toISOString().slice(0, 10)}` : ''}.`;
    case 'plan':
      return 'Not sent: the organization no longer has the SMS plan.';
    case 'policy':
      return 'Not sent: the organization turned SMS off (Settings → Policies).';
    case 'sender_left_org':
      return 'Not sent: the person who wrote it is no longer a member of the organization.';
    case 'sender_left_team':
      return 'Not sent: the person who wrote it is no longer on this team.';
    case 'blocked':
      return 'Not sent: the clinic blocked texting this patient.';
    case 'opted_out':
      return `Not sent: the patient opted out of texts${number ? ` from ${number}` : ''}.`;
    case 'phone_changed':
      return "Not sent: the patient's phone number changed after it was written.";
  }
}
