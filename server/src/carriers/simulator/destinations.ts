/**
 * How the simulated network treats each destination number, decided by its last four digits so a
 * test or a demo can pick an outcome by choosing a number. README.md beside this file shows the
 * same table; a test keeps the two in step.
 */

/** Lookup v2 `line_type_intelligence.type`; null when the carrier database has no answer. */
export type LookupLineType = 'mobile' | 'landline' | 'fixedVoip' | 'nonFixedVoip' | null;

export type DeliveryOutcome =
  /** The API answers 400 with this Twilio error code; no message is created. */
  | { kind: 'rejected'; errorCode: number }
  /** Accepted (queued); status callbacks: sent, delivered. */
  | { kind: 'delivered' }
  /** Accepted (queued); status callbacks: sent, then undelivered with the error code. */
  | { kind: 'undelivered'; errorCode: number }
  /** Accepted (queued); one status callback: failed with the error code (it never left Twilio). */
  | { kind: 'failed'; errorCode: number };

export type Destination = {
  /** The last four digits that select this row; null for the row every other valid number gets. */
  suffix: string | null;
  description: string;
  /** What Lookup v2 says; `valid: false` rows answer `valid: false` with no line type. */
  lookup: { valid: boolean; lineType: LookupLineType };
  outcome: DeliveryOutcome;
};

export const DESTINATIONS: readonly Destination[] = [
  { suffix: '0003', description: 'Unreachable handset (switched off, out of coverage)', lookup: { valid: true, lineType: 'mobile' }, outcome: { kind: 'undelivered', errorCode: 30003 } },
  { suffix: '0004', description: 'Blocked by the destination carrier', lookup: { valid: true, lineType: 'mobile' }, outcome: { kind: 'undelivered', errorCode: 30004 } },
  { suffix: '0005', description: 'Unknown destination handset (no longer in service)', lookup: { valid: true, lineType: null }, outcome: { kind: 'failed', errorCode: 30005 } },
  { suffix: '0006', description: 'Landline (cannot receive SMS)', lookup: { valid: true, lineType: 'landline' }, outcome: { kind: 'undelivered', errorCode: 30006 } },
  { suffix: '0007', description: 'Filtered by the carrier as spam', lookup: { valid: true, lineType: 'mobile' }, outcome: { kind: 'undelivered', errorCode: 30007 } },
  { suffix: '0008', description: 'Unknown carrier error', lookup: { valid: true, lineType: 'mobile' }, outcome: { kind: 'undelivered', errorCode: 30008 } },
  { suffix: '0010', description: 'Fixed VoIP number that receives SMS', lookup: { valid: true, lineType: 'fixedVoip' }, outcome: { kind: 'delivered' } },
  { suffix: '0011', description: 'Non-fixed VoIP number that receives SMS', lookup: { valid: true, lineType: 'nonFixedVoip' }, outcome: { kind: 'delivered' } },
  { suffix: '0211', description: 'Invalid number (well-formed but not assignable)', lookup: { valid: false, lineType: null }, outcome: { kind: 'rejected', errorCode: 21211 } },
  { suffix: '0614', description: 'Landline refused at the API: not a mobile number', lookup: { valid: true, lineType: 'landline' }, outcome: { kind: 'rejected', errorCode: 21614 } },
  { suffix: '0635', description: 'Landline refused at the API: To cannot be a landline', lookup: { valid: true, lineType: 'landline' }, outcome: { kind: 'rejected', errorCode: 21635 } },
];

export const DEFAULT_DESTINATION: Destination = {
  suffix: null,
  description: 'Any other valid number: a mobile phone that receives the message',
  lookup: { valid: true, lineType: 'mobile' },
  outcome: { kind: 'delivered' },
};

/** What any string that is not a dialable number gets (sends: 21211; Lookup: valid false). */
export const INVALID_DESTINATION: Destination = {
  suffix: null,
  description: 'Not a valid phone number',
  lookup: { valid: false, lineType: null },
  outcome: { kind: 'rejected', errorCode: 21211 },
};

/**
 * E.164 with the North American numbering plan's rules for +1 (area code and exchange start
 * with 2-9, area code not N11); other country codes only need a plausible length.
 */
export function isDialable(phone: string): boolean {
  if (!/^\+[1-9]\d{6,14}$/.test(phone)) return false;
  if (!phone.startsWith('+1')) return true;
  return /^\+1[2-9](?!11)\d{2}[2-9]\d{6}$/.test(phone);
}

export function destinationFor(phone: string): Destination {
  if (!isDialable(phone)) return INVALID_DESTINATION;
  return DESTINATIONS.find((row) => phone.endsWith(row.suffix!)) ?? DEFAULT_DESTINATION;
}
