/**
 * Dates of birth, read one way everywhere: the patient import, staff search, the extension
 * reading an EHR page and the EHR adapter preview. EHRs print a birthday as 1985-03-14,
 * 03/14/1985, 3-14-1985, Mar 14, 1985 or 14 March 1985; numeric dates are US order (month first).
 */

const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

type Parts = { year: number; month: number; day: number };

/** "Mar", "march", "Sept." -> 3 / 3 / 9; 0 for a word that is no month. */
function monthNumber(name: string): number {
  const i = MONTH_NAMES.findIndex((m) => m.slice(0, 3).toLowerCase() === name.slice(0, 3).toLowerCase());
  return i < 0 || !MONTH_NAMES[i]!.toLowerCase().startsWith(name.replace(/\.$/, '').toLowerCase()) ? 0 : i + 1;
}

/** Each printed form: its pattern (no anchors) and how its groups make a date. */
const FORMS: Array<{ source: string; parts(g: string[]): Parts }> = [
  { source: String.raw`(\d{4})-(\d{1,2})-(\d{1,2})`, parts: (g) => ({ year: +g[1]!, month: +g[2]!, day: +g[3]! }) },
  { source: String.raw`(\d{1,2})[/-](\d{1,2})[/-](\d{4})`, parts: (g) => ({ year: +g[3]!, month: +g[1]!, day: +g[2]! }) },
  { source: String.raw`([A-Za-z]{3,9}\.?)\s+(\d{1,2}),?\s+(\d{4})`, parts: (g) => ({ year: +g[3]!, month: monthNumber(g[1]!), day: +g[2]! }) },
  { source: String.raw`(\d{1,2})\s+([A-Za-z]{3,9}\.?),?\s+(\d{4})`, parts: (g) => ({ year: +g[3]!, month: monthNumber(g[2]!), day: +g[1]! }) },
];
const WHOLE = FORMS.map((f) => ({ pattern: new RegExp(`^${f.source}$`), parts: f.parts }));
// Within page text a date stands as a word ("DOB: 03/14/1985 (40 y)"); an ISO date may run on
// into a time ("1985-03-14T00:00:00").
const WITHIN = FORMS.map((f, i) => ({ pattern: new RegExp(i === 0 ? f.source : String.raw`\b${f.source}\b`), parts: f.parts }));

/** Hoisted: parseDob runs per imported row, and a literal would be a new RegExp each time. */
const WHITESPACE_RUN = /\s+/g;

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Days in the month (1-12) of the year, as `new Date(Date.UTC(year, month, 0)).getUTCDate()`
 * answers it (no Date per call: imports ask twice per row), including Date.UTC's reading of
 * years 0-99 as 1900-1999.
 */
function daysIn(year: number, month: number): number {
  if (month !== 2) return MONTH_DAYS[month - 1]!;
  const y = year >= 0 && year <= 99 ? 1900 + year : year;
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
}

/** The parts as YYYY-MM-DD when they make a real calendar date (not 2023-02-30); null otherwise. */
export function calendarDate({ year, month, day }: Parts): string | null {
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return null;
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** Whether a whole value is written as a date (real or not), e.g. to spot a shifted CSV column. */
export function looksLikeDate(text: string): boolean {
  const trimmed = text.trim();
  for (const form of WHOLE) if (form.pattern.test(trimmed)) return true;
  return false;
}

/**
 * The first real calendar date in page text, as YYYY-MM-DD, or null. Labels and an age around it
 * do not matter ("DOB: Mar 14, 1985 (40 y)"); no check against today (that is `parseDob`'s).
 */
export function dateInText(text: string): string | null {
  const flat = text.replace(/\s+/g, ' ');
  for (const form of WITHIN) {
    const m = form.pattern.exec(flat);
    const value = m && calendarDate(form.parts(m));
    if (value) return value;
  }
  return null;
}

/** The last day asked for, as YYYY-MM-DD: an import checks 100,000 rows against one `today`. */
let lastDay = { time: NaN, iso: '' };
function isoDay(day: Date): string {
  const time = day.getTime();
  if (time !== lastDay.time) lastDay = { time, iso: day.toISOString().slice(0, 10) };
  return lastDay.iso;
}

/**
 * A date of birth as YYYY-MM-DD from a whole value ("1985-03-14", "03/14/1985", "Mar 14, 1985").
 * `{ error }` for text that is not a date, an impossible or future date; null for a blank value.
 */
export function parseDob(input: string, today: Date = new Date()): { value: string } | { error: string } | null {
  const text = input.trim().replace(WHITESPACE_RUN, ' ');
  if (!text) return null;
  let parts: Parts | null = null;
  for (const form of WHOLE) {
    const m = form.pattern.exec(text);
    if (m) {
      parts = form.parts(m);
      break;
    }
  }
  if (!parts) return { error: `"${text.length > 80 ? `${text.slice(0, 80)}…` : text}" is not a date: use YYYY-MM-DD, MM/DD/YYYY or Mar 14, 1985` };
  const { year, month, day } = parts;
  if (month < 1 || month > 12) return { error: `"${text}" has no month ${month || text.replace(/[\d\s,/-]+/g, '')}` };
  if (day < 1 || day > daysIn(year, month)) return { error: `"${text}" is not a real date (${MONTH_NAMES[month - 1]} has ${daysIn(year, month)} days in ${year})` };
  const value = calendarDate(parts)!;
  if (value > isoDay(today)) return { error: `"${text}" is in the future` };
  if (year < 1900) return { error: `"${text}" is before 1900` };
  return { value };
}
