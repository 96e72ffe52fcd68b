// Display formatting needs libphonenumber's formats, not its validation patterns, so it uses the
// `min` metadata (~20 KB gzip instead of `max`'s ~40 KB): the web app's Inbox and lists show
// numbers without downloading `max` (phone.ts), which only validation needs. phone.spec.ts holds
// the two to the same output on every country's numbers.
import { type MetadataJson, parsePhoneNumberFromString } from 'libphonenumber-js/core';
import minMetadata from 'libphonenumber-js/min/metadata';

/**
 * "(415) 555-2671" for US numbers, "+44 20 7946 0958" for everything else
 * (international format, so staff can dial it from a US clinic). Input that does
 * not parse is returned unchanged rather than hidden.
 */
export function formatPhoneForDisplay(e164: string): string {
  return formatPhoneWith(e164, minMetadata);
}

/** The same formatting with the caller's metadata (phone.ts: for bundles that carry `max` anyway). */
export function formatPhoneWith(e164: string, metadata: MetadataJson): string {
  // North American numbers, including the fictional ones normalizePhone accepts: (555) 234-5678.
  const nanp = /^\+1([2-9]\d{2})(\d{3})(\d{4})$/.exec(e164);
  if (nanp) return `(${nanp[1]}) ${nanp[2]}-${nanp[3]}`;
  const parsed = parsePhoneNumberFromString(e164, metadata);
  if (!parsed) return e164;
  return parsed.formatInternational();
}
