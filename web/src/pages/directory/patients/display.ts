import { formatPhoneForDisplay } from '@caretext/shared';

/** A stored E.164 number the way staff read it; empty for none. */
export function displayPhone(e164: string | null | undefined): string {
  return e164 ? formatPhoneForDisplay(e164) : '';
}

/**
 * A patient's name for lists and headers. A record with no name is called by its phone number,
 * which the server gives in E.164; staff read it formatted.
 */
export function patientLabel(p: { displayName: string; phone: string | null }): string {
  return p.phone && p.displayName === p.phone ? displayPhone(p.phone) : p.displayName;
}

export type Badge = { label: string; tone: 'danger' | 'warning' | 'neutral'; title: string };

/** Why a patient may not get a text, as badges for the list and the profile. */
export function statusBadges(p: { optedOut: boolean; blocked: boolean; phoneLineType: string }): Badge[] {
  const badges: Badge[] = [];
  if (p.optedOut) badges.push({ label: 'Opted out', tone: 'danger', title: 'Replied STOP or asked not to be texted: no SMS is sent.' });
  if (p.blocked) badges.push({ label: 'Blocked', tone: 'danger', title: 'Blocked by the clinic: no messages are sent.' });
  if (p.phoneLineType === 'landline') badges.push({ label: 'Landline', tone: 'warning', title: 'A landline cannot receive SMS.' });
  return badges;
}

export const LINE_TYPES = [
  { value: 'mobile', label: 'Mobile' },
  { value: 'landline', label: 'Landline' },
  { value: 'voip', label: 'VoIP' },
  { value: 'unknown', label: 'Not known' },
] as const;

export function lineTypeLabel(value: string): string {
  return LINE_TYPES.find((t) => t.value === value)?.label ?? value;
}

/** What each consent record means, given or withdrawn, in staff's words. */
const CONSENT_KINDS: Record<string, { given: string; withdrawn: string }> = {
  sms_transactional: { given: 'Agreed to SMS reminders and care updates', withdrawn: 'Withdrew consent to SMS reminders and care updates' },
  sms_marketing: { given: 'Agreed to marketing SMS', withdrawn: 'Withdrew consent to marketing SMS' },
  email_marketing: { given: 'Agreed to marketing email', withdrawn: 'Withdrew consent to marketing email' },
  sms_opt_out: { given: 'Opted out of SMS', withdrawn: 'SMS opt-out lifted' },
  blocked: { given: 'Blocked by the clinic', withdrawn: 'Unblocked by the clinic' },
  email_suppressed: { given: 'Email suppressed', withdrawn: 'Email suppression lifted' },
  unsubscribed: { given: 'Unsubscribed from email', withdrawn: 'Resubscribed to email' },
};

const CONSENT_SOURCES: Record<string, string> = {
  intake: 'on an intake form',
  import: 'from a CSV import',
  keyword: 'by text reply',
  staff: 'recorded by staff',
};

export function consentEventLabel(kind: string, granted: boolean): string {
  const meaning = CONSENT_KINDS[kind];
  if (!meaning) return `${kind.replace(/_/g, ' ')}: ${granted ? 'on' : 'off'}`;
  return granted ? meaning.given : meaning.withdrawn;
}

export function consentSourceLabel(source: string): string {
  return CONSENT_SOURCES[source] ?? source;
}

const RECORD_SOURCES: Record<string, string> = {
  staff: 'Added by staff',
  import: 'Added by CSV import',
  inbound_sms: 'Added when they texted the clinic',
  conversation: 'Added from a new conversation',
};

export function recordSourceLabel(source: string): string {
  return RECORD_SOURCES[source] ?? `Added (${source})`;
}
