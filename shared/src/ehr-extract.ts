/**
 * Reading patient fields from an EHR page, one way for the extension (its adapters) and for
 * Settings → EHR adapters' "test against a pasted page": an input's value rather than its text,
 * and the phone, date or email picked out of the text around it ("(555) 123-4567 (cell)",
 * "DOB: Mar 14, 1985 (40 y)"). DOM types only: it runs in a content script and in the web app.
 */
import { dateInText } from './dob.js';
import { type AdapterRowSelectors, EHR_FIELD_MAX_LENGTH, EHR_MAX_PAGE_ROWS, EHR_PATIENT_FIELDS, type EhrPatientField } from './ehr-fields.js';

/**
 * What an adapter reads from the EHR page. Every value is untrusted page text: trimmed,
 * whitespace-collapsed and length-capped, never HTML. DOB is YYYY-MM-DD when the page's date
 * could be understood, otherwise the text as shown; phone is as shown (normalizePhone makes it E.164).
 */
export type PatientContext = Record<EhrPatientField, string | null>;

export function emptyContext(): PatientContext {
  return Object.fromEntries(EHR_PATIENT_FIELDS.map((f) => [f, null])) as PatientContext;
}

const MAX_LENGTH = EHR_FIELD_MAX_LENGTH;
const FORM_FIELDS = new Set(['INPUT', 'TEXTAREA', 'SELECT']);
const BLANK = /^(?:-+|—|–|n\/?a|none|unknown|not (?:set|provided|on file)|\(none\)|\?)$/i;

/** The text a field shows: an input's value, otherwise its text, whitespace collapsed. */
export function textOf(el: Element | null | undefined): string {
  if (!el) return '';
  // By tag name, not instanceof: a parsed page (DOMParser, another frame) has its own classes.
  const value = FORM_FIELDS.has(el.tagName.toUpperCase()) ? (el as HTMLInputElement).value : el.textContent;
  return (value ?? '').replace(/\s+/g, ' ').trim();
}

/**
 * The text an admin's selector finds on a page: '' when it matches nothing, `{ invalid }` when
 * the selector itself is not valid CSS (the extension treats that as "not on this page").
 */
export function selectText(doc: ParentNode, selector: string | null | undefined): string | { invalid: string } {
  if (!selector) return '';
  try {
    return textOf(doc.querySelector(selector));
  } catch (error) {
    return { invalid: error instanceof Error ? error.message : String(error) };
  }
}

/** A field's value from page text, or null when it is empty, a placeholder or implausibly long. */
export function fieldValue(field: EhrPatientField, raw: string | null | undefined): string | null {
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
 * Enough to tell one patient from another: an MRN, or a name with a DOB or phone. A name alone
 * (a provider's, a page heading) is not a patient.
 */
export function identifies(p: PatientContext): boolean {
  const named = Boolean(p.name || (p.firstName && p.lastName));
  return Boolean(p.mrn) || (named && Boolean(p.dob || p.phone));
}

/**
 * Builds a context from raw field texts: each cleaned, and the name filled in both ways
 * (full name from first + last, first/last from a full name).
 */
export function contextFrom(raw: Partial<Record<EhrPatientField, string | null>>): PatientContext {
  const ctx = emptyContext();
  for (const field of Object.keys(raw) as EhrPatientField[]) ctx[field] = fieldValue(field, raw[field]);
  if (ctx.name && !ctx.firstName && !ctx.lastName) Object.assign(ctx, splitName(ctx.name));
  if (!ctx.name && (ctx.firstName || ctx.lastName)) ctx.name = [ctx.firstName, ctx.lastName].filter(Boolean).join(' ');
  return ctx;
}

/**
 * The rows of an admin-defined list (`rows.row` selects each row; each field's selector is read
 * inside it), raw page text per field, at most EHR_MAX_PAGE_ROWS. `{ invalid }` when a selector
 * is not valid CSS: the extension reads that as "no list here", the adapter preview shows it.
 */
export function selectRows(doc: ParentNode, rows: AdapterRowSelectors | null | undefined): Partial<Record<EhrPatientField, string>>[] | { invalid: string } {
  if (!rows?.row?.trim()) return [];
  let found: Element[];
  try {
    found = Array.from(doc.querySelectorAll(rows.row)).slice(0, EHR_MAX_PAGE_ROWS);
  } catch (error) {
    return { invalid: error instanceof Error ? error.message : String(error) };
  }
  const out: Partial<Record<EhrPatientField, string>>[] = [];
  for (const el of found) {
    const raw: Partial<Record<EhrPatientField, string>> = {};
    for (const [field, selector] of Object.entries(rows.fields ?? {}) as [EhrPatientField, string | null][]) {
      if (!EHR_PATIENT_FIELDS.includes(field)) continue;
      const text = selectText(el, selector);
      if (typeof text !== 'string') return text;
      raw[field] = text;
    }
    out.push(raw);
  }
  return out;
}
