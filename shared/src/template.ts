import { formatPhoneForDisplay } from './phone-format.js';

export interface TemplateData {
  patient: {
    id: string;
    firstName?: string;
    lastName?: string;
    preferredName?: string;
    /** YYYY-MM-DD. */
    dob?: string;
    phone?: string;
    email?: string;
  };
  org: { name: string };
}

export interface TemplateToken {
  /** Name as stored inside the braces, e.g. "first_name". */
  key: string;
  /** What a composer inserts, e.g. "{{first_name}}". */
  token: string;
  label: string;
  example: string;
}

const t = (key: string, label: string, example: string): TemplateToken => ({ key, token: `{{${key}}}`, label, example });

export const TEMPLATE_TOKENS: readonly TemplateToken[] = [
  t('first_name', 'First name', 'Maria'),
  t('last_name', 'Last name', 'Garcia'),
  t('full_name', 'Full name', 'Maria Garcia'),
  t('preferred_name', 'Preferred name', 'Mia'),
  t('dob', 'Date of birth', 'January 15, 1990'),
  t('birthday', 'Birthday', 'January 15'),
  t('phone', 'Phone number', '(415) 555-2671'),
  t('email', 'Email', 'maria@example.com'),
  t('patient_id', 'Patient ID', 'pt_8f3k2'),
  t('org_name', 'Organization name', 'Sunrise Family Clinic'),
];

const KNOWN = new Set(TEMPLATE_TOKENS.map((x) => x.key));
/** `{{ name }}`: whitespace inside the braces is tolerated; names are case-sensitive. */
const TOKEN = /\{\{\s*([^{}]*?)\s*\}\}/g;

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/**
 * Splits YYYY-MM-DD by hand: `new Date('1990-01-15')` is UTC midnight, which
 * renders as January 14 anywhere west of Greenwich. A trailing time part
 * ("1990-01-15T00:00:00.000Z", how a date column often serializes) is ignored.
 * Impossible dates (1990-02-30) give null so they render as nothing.
 */
function parseDob(value: string | undefined): { year: number; month: number; day: number } | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T.*)?$/.exec(value?.trim() ?? '');
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return null;
  return { year, month, day };
}

const clean = (v: string | undefined) => v?.trim() ?? '';

function tokenValues({ patient, org }: TemplateData, formatPhone: (e164: string) => string): Record<string, string> {
  const first = clean(patient.firstName);
  const last = clean(patient.lastName);
  const dob = parseDob(patient.dob);
  const birthday = dob ? `${MONTHS[dob.month - 1]} ${dob.day}` : '';
  const phone = clean(patient.phone);
  return {
    first_name: first,
    last_name: last,
    full_name: [first, last].filter(Boolean).join(' '),
    preferred_name: clean(patient.preferredName) || first,
    dob: dob ? `${birthday}, ${dob.year}` : '',
    birthday,
    phone: phone && formatPhone(phone),
    email: clean(patient.email),
    patient_id: clean(patient.id),
    org_name: clean(org.name),
  };
}

/** Replaces known tokens (missing values become ""); unknown tokens stay as written. */
export function renderTemplate(template: string, data: TemplateData): string {
  return renderTemplateWith(template, data, formatPhoneForDisplay);
}

/**
 * renderTemplate with the caller's phone formatting: the extension sidebar has the number
 * formatted already (by its background) and so carries no phone metadata of its own.
 */
export function renderTemplateWith(template: string, data: TemplateData, formatPhone: (e164: string) => string): string {
  const values = tokenValues(data, formatPhone);
  return template.replace(TOKEN, (whole, name: string) => (KNOWN.has(name) ? values[name] : whole));
}

/**
 * `{{...}}` tokens the renderer will leave in the text, as written (so a composer
 * can quote or highlight them), once each, in order of appearance.
 */
export function unknownTokens(template: string): string[] {
  const unknown = Array.from(template.matchAll(TOKEN)).filter((m) => !KNOWN.has(m[1]));
  return [...new Set(unknown.map((m) => m[0]))];
}
