import { dateInText } from '@caretext/shared/dob';
import { EHR_FIELD_MAX_LENGTH } from '@caretext/shared/ehr-fields';
import { emptyContext, type PatientContext, type PatientField } from './patient-context';

/** The server's limits for each field: longer page text is not a value we could use. */
const MAX_LENGTH = EHR_FIELD_MAX_LENGTH;
const BLANK = /^(?:-+|—|–|n\/?a|none|unknown|not (?:set|provided|on file)|\(none\)|\?)$/i;

/** The text a field shows: an input's value, otherwise its text, whitespace collapsed. */
export function textOf(el: Element | null | undefined): string {
  if (!el) return '';
  const value = el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement ? el.value : el.textContent;
  return (value ?? '').replace(/\s+/g, ' ').trim();
}

/** A field's value from page text, or null when it is empty, a placeholder or implausibly long. */
export function fieldValue(field: PatientField, raw: string | null | undefined): string | null {
  let text = (raw ?? '').replace(/\s+/g, ' ').trim().replace(/^[:#\s]+/, '');
  if (!text || BLANK.test(text)) return null;
  if (field === 'dob') return dobValue(text);
  if (field === 'phone') return phoneValue(text);
  if (field === 'email') return emailValue(text);
  if (field === 'mrn') text = text.replace(/^(?:mrn|#)\s*[:#]?\s*/i, '');
  if (field === 'name' || field === 'firstName' || field === 'lastName') text = text.replace(/\s*\((?:[^()]*)\)\s*$/, '').trim();
  return text && text.length <= MAX_LENGTH[field] ? text : null;
}

/**
 * A date of birth as YYYY-MM-DD, read as everywhere else (`dateInText` in shared: 1985-03-14,
 * 03/14/1985, Mar 14, 1985, 14 March 1985, with or without an age after it). Text that is not a
 * date comes back as shown (capped), so the sidebar can still show what it read.
 */
export function dobValue(text: string): string | null {
  return dateInText(text) ?? (text.length <= MAX_LENGTH.dob ? text : null);
}

/** The first phone-looking run ("(555) 123-4567", "+1 415 555 0100"), without labels or "(cell)". */
export function phoneValue(text: string): string | null {
  const m = /(?:\+|\()?\d[\d\s().-]{5,}\d/.exec(text.replace(/^tel:/i, ''));
  if (!m) return null;
  const digits = m[0].replace(/\D/g, '');
  return digits.length >= 7 && digits.length <= 15 ? m[0].trim() : null;
}

export function emailValue(text: string): string | null {
  const m = /[^\s@<>()"',;:]+@[^\s@<>()"',;:]+\.[A-Za-z]{2,}/.exec(text);
  return m && m[0].length <= MAX_LENGTH.email ? m[0].toLowerCase() : null;
}

const HONORIFIC = /^(?:mr|mrs|ms|miss|mx|dr|prof)\.?\s+/i;
const SUFFIX = /\s+(?:jr|sr|ii|iii|iv|md|phd)\.?$/i;

/** "Doe, Jane Q." and "Jane Q. Doe" both give first Jane, last Doe. */
export function splitName(full: string): { firstName: string | null; lastName: string | null } {
  const name = full.replace(HONORIFIC, '').replace(SUFFIX, '').trim();
  if (name.includes(',')) {
    const [last, rest] = name.split(',', 2).map((s) => s!.trim());
    return { firstName: rest?.split(' ')[0] || null, lastName: last || null };
  }
  const parts = name.split(' ').filter(Boolean);
  if (parts.length < 2) return { firstName: parts[0] ?? null, lastName: null };
  return { firstName: parts[0]!, lastName: parts[parts.length - 1]! };
}

/**
 * Builds a context from raw field texts: each cleaned, and the name filled in both ways
 * (full name from first + last, first/last from a full name).
 */
export function contextFrom(raw: Partial<Record<PatientField, string | null>>): PatientContext {
  const ctx = emptyContext();
  for (const field of Object.keys(raw) as PatientField[]) ctx[field] = fieldValue(field, raw[field]);
  if (ctx.name && !ctx.firstName && !ctx.lastName) Object.assign(ctx, splitName(ctx.name));
  if (!ctx.name && (ctx.firstName || ctx.lastName)) ctx.name = [ctx.firstName, ctx.lastName].filter(Boolean).join(' ');
  return ctx;
}
