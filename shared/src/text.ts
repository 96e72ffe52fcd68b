/**
 * Text hygiene shared by the server, the web app and the extension: control characters,
 * invisible characters in identifiers, spreadsheet formulas in CSV cells, and strict dates.
 */
import { calendarDate } from './dob.js';

/**
 * C0 controls except tab, LF and CR; DEL; C1 controls. PostgreSQL cannot store NUL in text at
 * all, and the others are never typed on purpose: they hide text or corrupt logs and exports.
 */
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

/** True when `text` holds a control character other than tab, LF or CR. */
export function hasControlChars(text: string): boolean {
  return CONTROL.test(text);
}

/** "U+0000" for the first forbidden control character of `text`, for messages; null when none. */
export function firstControlChar(text: string): string | null {
  const match = CONTROL.exec(text);
  return match ? `U+${match[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}` : null;
}

/**
 * A UTF-16 surrogate without its pair: not a character at all. It reaches us only from a
 * hand-made request (JSON "\ud800"), and PostgreSQL refuses it in jsonb with an error.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when `text` is not valid Unicode (holds an unpaired surrogate). */
export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

/** Removes the control characters `hasControlChars` finds (for text we must keep, e.g. a stored header). */
export function stripControlChars(text: string): string {
  return text.replace(new RegExp(CONTROL.source, 'g'), '');
}

/**
 * Bidi overrides and isolates (U+202A–U+202E, U+2066–U+2069), directional marks (U+200E,
 * U+200F, U+061C) and zero-width characters (U+200B–U+200D, U+2060, U+FEFF). Invisible on
 * screen, they make `MRN-0001\u200b` look like `MRN-0001` while being another value, or make a
 * name display reversed.
 */
const INVISIBLE = /[\u061C\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]/g;

/**
 * A name as stored and compared: invisible characters removed, canonical composition (NFC, so
 * "é" typed either way is one value), trimmed. NFC rather than NFKC: compatibility folding
 * can change how a person's name is spelled (ligatures, half-width kana), canonical cannot.
 */
export function cleanName(text: string): string {
  return text.replace(INVISIBLE, '').normalize('NFC').trim();
}

/**
 * An identifier (MRN) as stored and compared: invisible characters removed and NFKC, so
 * full-width "ＭＲＮ－０００１" and "MRN-0001\u200b" are the same MRN as "MRN-0001".
 */
export function cleanIdentifier(text: string): string {
  return text.replace(INVISIBLE, '').normalize('NFKC').replace(INVISIBLE, '').trim();
}

/**
 * A CSV cell that a spreadsheet would run as a formula (= + - @, or a tab/CR that some
 * spreadsheets skip before one) gets a leading apostrophe, so it shows as text. Applied to every
 * cell of every export, header row included. One exception: a complete E.164 phone number
 * ("+15551234567") is a plain number to a spreadsheet, cannot call anything, and phone columns
 * keep their documented format.
 */
export function neutralizeFormula(cell: string): string {
  if (/^\+[1-9]\d{6,14}$/.test(cell)) return cell;
  return /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
}

export type IsoDate = { year: number; month: number; day: number };

/** "2026-04-22" as its parts when it is a real calendar date (not 2023-02-30, not 2023-13-01); null otherwise. */
export function parseIsoDate(text: string): IsoDate | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return null;
  const date = { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) };
  return calendarDate(date) ? date : null;
}

/** Export ranges before this year or after EXPORT_MAX_YEAR are typos (0001, 9999), not requests. */
export const EXPORT_MIN_YEAR = 2000;
export const EXPORT_MAX_YEAR = 2100;

/**
 * Checks an export's date range (YYYY-MM-DD, either end optional): an error a user can act on,
 * or null when it is fine. Used by every export that takes a range.
 */
export function dateRangeProblem(from: string | undefined, to: string | undefined): string | null {
  for (const [label, value] of [['start', from], ['end', to]] as const) {
    if (value === undefined) continue;
    const date = parseIsoDate(value);
    if (!date) return `The ${label} date "${value.slice(0, 40)}" is not a real date: write it like 2026-04-22.`;
    if (date.year < EXPORT_MIN_YEAR || date.year > EXPORT_MAX_YEAR) return `The ${label} date ${value} is out of range: use a year between ${EXPORT_MIN_YEAR} and ${EXPORT_MAX_YEAR}.`;
  }
  if (from && to && from > to) return 'The start date is after the end date.';
  return null;
}
