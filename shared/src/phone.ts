// `max` metadata on purpose: `min` checks only leading digits and length, so it
// accepts numbers no carrier can reach (e.g. +1 242 555 2671, an unassigned
// Bahamas exchange), and every such number becomes a failed send (Twilio 21211)
// or a bad import row. The cost is ~70 KB more (raw JSON) metadata in the bundles: the web app
// loads this module only with the screens that validate numbers (New conversation, import,
// patient forms, adapter preview), never with sign-in or the Inbox's first load; display
// formatting, which min does exactly as max, is in phone-format.ts (phone-metadata.spec.ts).
import { type CountryCode, isSupportedCountry, type MetadataJson, parsePhoneNumberFromString } from 'libphonenumber-js/core';
import maxMetadata from 'libphonenumber-js/max/metadata';
import { formatPhoneWith } from './phone-format.js';

/** A trailing extension: "ext. 12", "extension 12", "x12", "#12", ";ext=12" (digits optional). */
const EXTENSION = /\s*[;,]?\s*(?:ext(?:ension|n)?\.?|x|#|ext=)\s*[:.]?\s*\d*\s*$/i;
/** Default countries whose national numbers are North American (10 digits after +1). */
const NANP_DEFAULTS = new Set(['US', 'CA', 'PR', 'VI', 'GU', 'AS', 'MP']);
/** What may remain once the extension is gone: digits (any script) and separators. */
const PHONE_CHARS = /^[\p{Nd}\s().\-/+]+$/u;
// Patterns used per call live here: a regular expression literal in a function body is a new
// object at every call, and an import calls these 200,000 times.
const TEL_PREFIX = /^tel:/i;
const SEPARATORS = /[\s().\-/]/g;
const NANP_NUMBER = /^(?:\+?1)?([2-9]\d{9})$/;

/**
 * The extension written after a number ("ext. 12", "x12", ";ext=12"), or null when there is
 * none. A text message cannot reach an extension, and storing the number without it would
 * silently drop what the user typed: callers refuse such input with `phoneExtensionMessage`.
 */
export function phoneExtension(input: string): string | null {
  if (typeof input !== 'string' || input.length > 64) return null;
  const match = EXTENSION.exec(input.trim().replace(TEL_PREFIX, ''));
  return match && match[0].trim() ? match[0].trim().replace(/^[;,]\s*/, '') : null;
}

/** Why a number with an extension is refused, in words a user can act on. */
export function phoneExtensionMessage(input: string): string {
  return `"${input.trim()}" has an extension (${phoneExtension(input) ?? 'ext.'}): text messages cannot reach an extension. Enter a direct mobile number without it.`;
}

/**
 * Normalizes a typed or imported phone number to E.164, or null when it is not a
 * valid number (including a number with an extension: see `phoneExtension`). `defaultCountry` (ISO 3166 alpha-2) applies to national formats;
 * an unknown country code means only +international input can parse.
 * Letters are rejected rather than extracted, so "call 415 555 2671" or vanity
 * numbers like "1-800-FLOWERS" do not silently become something else.
 */
export function normalizePhone(input: string, defaultCountry = 'US', metadata: MetadataJson = maxMetadata): string | null {
  if (typeof input !== 'string' || input.length > 64) return null;
  const cleaned = input.trim().replace(TEL_PREFIX, '');
  if (phoneExtension(cleaned)) return null;
  if (!PHONE_CHARS.test(cleaned)) return null;
  const country = defaultCountry.toUpperCase();
  // Fast path for the common case (imports run this 100,000 times): a North American number
  // written with separators. It returns exactly what the full parse below would.
  const digits = cleaned.replace(SEPARATORS, '');
  const nanp = NANP_NUMBER.exec(digits);
  if (nanp && (digits.startsWith('+1') || NANP_DEFAULTS.has(country))) return `+1${nanp[1]}`;
  return parseFully(cleaned, country, metadata);
}

/**
 * The full libphonenumber parse (exported so tests can hold the fast path to it). `metadata`
 * is `max` everywhere; tests pass `min` to show where the two disagree (phone-metadata.spec.ts).
 */
export function parseFully(cleaned: string, country: string, metadata: MetadataJson = maxMetadata): string | null {
  const parsed = parsePhoneNumberFromString(
    cleaned,
    { defaultCountry: isSupportedCountry(country as CountryCode, metadata) ? (country as CountryCode) : undefined, extract: false },
    metadata,
  );
  if (!parsed) return null;
  if (parsed.isValid()) return parsed.number;
  // North American numbers: accept any 10-digit number whose area code starts 2-9, even when
  // the exchange is unassigned. Clinics' spreadsheets, our product docs and demo data use
  // fictional numbers such as (555) 123-4567, and the carrier (Lookup, error 21211) is the
  // authority on whether a number really exists; refusing them at import loses patients.
  if (parsed.countryCallingCode === '1' && /^[2-9]\d{9}$/.test(parsed.nationalNumber)) return parsed.number;
  return null;
}

/** Display formatting lives apart, on the smaller metadata: see phone-format.ts. */
export { formatPhoneForDisplay } from './phone-format.js';

/**
 * formatPhoneForDisplay on the `max` metadata, for code that validates numbers too (the
 * extension's background): one metadata in its bundle instead of both. Same output (tested).
 */
export function formatPhoneForDisplayMax(e164: string): string {
  return formatPhoneWith(e164, maxMetadata);
}
