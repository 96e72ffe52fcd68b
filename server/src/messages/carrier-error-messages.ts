/** Twilio error codes as staff should read them (also the phone log's ErrorMessage column). */
export const CARRIER_ERROR_MESSAGES: Record<string, string> = {
  '21211': 'Invalid phone number',
  '21408': 'Sending to this region is not enabled',
  '21602': 'Message body is required',
  '21606': 'The sending number is not owned by this account',
  '21610': 'Recipient opted out (replied STOP)',
  '21614': 'Not a mobile number',
  '21635': 'Landline — cannot receive SMS',
  '30003': 'Unreachable destination handset',
  '30004': 'Message blocked',
  '30005': 'Unknown destination handset',
  '30006': 'Landline — cannot receive SMS',
  '30007': 'Message filtered by the carrier',
  '30008': 'Unknown error',
};

export function carrierErrorMessage(code: string | number | null | undefined, fallback?: string): string | null {
  if (code === null || code === undefined || code === '') return fallback ?? null;
  return CARRIER_ERROR_MESSAGES[String(code)] ?? fallback ?? `Carrier error ${code}`;
}
