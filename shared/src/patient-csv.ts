import { looksLikeDate, parseDob } from './dob.js';
import { normalizePhone, phoneExtension, phoneExtensionMessage } from './phone.js';
import { cleanIdentifier, cleanName, firstControlChar } from './text.js';

/**
 * The patient CSV format (the import format shared with blasts). Header names must match
 * exactly, lowercase; only `phone` is required.
 */
export const PATIENT_CSV_COLUMNS = ['phone', 'mrn', 'first_name', 'last_name', 'dob', 'email', 'preferred_name', 'tags', 'location', 'provider'] as const;
export type PatientCsvColumn = (typeof PATIENT_CSV_COLUMNS)[number];
export const REQUIRED_CSV_COLUMNS: readonly PatientCsvColumn[] = ['phone'];

export type HeaderFinding = {
  index: number;
  header: string;
  /** The column it most likely meant, when there is one. */
  suggestion: PatientCsvColumn | null;
  message: string;
};

export type HeaderAnalysis = {
  /** Recognised column -> its index in the row. */
  columns: Partial<Record<PatientCsvColumn, number>>;
  unrecognized: HeaderFinding[];
  duplicates: HeaderFinding[];
  /** Fatal problems: the file cannot be imported as it is. */
  errors: string[];
};

function simplify(header: string): string {
  return header.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Common spellings people use for our columns, by their simplified form. */
const ALIASES: Record<string, PatientCsvColumn> = {
  phone: 'phone', phonenumber: 'phone', cell: 'phone', cellphone: 'phone', mobile: 'phone', mobilephone: 'phone', telephone: 'phone', tel: 'phone',
  mrn: 'mrn', medicalrecordnumber: 'mrn', medicalrecord: 'mrn', chartnumber: 'mrn', patientid: 'mrn',
  firstname: 'first_name', first: 'first_name', givenname: 'first_name', fname: 'first_name',
  lastname: 'last_name', last: 'last_name', surname: 'last_name', familyname: 'last_name', lname: 'last_name',
  dob: 'dob', dateofbirth: 'dob', birthdate: 'dob', birthday: 'dob',
  email: 'email', emailaddress: 'email', mail: 'email',
  preferredname: 'preferred_name', nickname: 'preferred_name',
  tags: 'tags', tag: 'tags', location: 'location', provider: 'provider',
};

/** Edit distance counting a swap of two neighbouring letters as one edit ("Emial" -> email). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** "First_Name" -> first_name; "Emial" -> email; "Insurance" -> null. */
export function suggestColumn(header: string): PatientCsvColumn | null {
  const simple = simplify(header);
  if (!simple) return null;
  if (ALIASES[simple]) return ALIASES[simple];
  let best: { column: PatientCsvColumn; distance: number } | null = null;
  for (const column of PATIENT_CSV_COLUMNS) {
    const distance = editDistance(simple, simplify(column));
    if (!best || distance < best.distance) best = { column, distance };
  }
  return best && best.distance <= Math.max(1, Math.floor(simplify(best.column).length / 4)) ? best.column : null;
}

export function analyzeHeader(header: string[]): HeaderAnalysis {
  const columns: HeaderAnalysis['columns'] = {};
  const unrecognized: HeaderFinding[] = [];
  const duplicates: HeaderFinding[] = [];
  header.forEach((raw, index) => {
    const name = raw.trim();
    if (name === '') return; // unnamed column: its values are reported per row
    if ((PATIENT_CSV_COLUMNS as readonly string[]).includes(name)) {
      const column = name as PatientCsvColumn;
      if (columns[column] !== undefined) {
        duplicates.push({ index, header: name, suggestion: null, message: `Column "${name}" appears twice; only the first one (column ${columns[column]! + 1}) is used.` });
      } else columns[column] = index;
      return;
    }
    const suggestion = suggestColumn(name);
    unrecognized.push({
      index,
      header: name,
      suggestion,
      message: suggestion
        ? `"${name}" is not a recognized column: did you mean ${suggestion}? Header names must match exactly, in lowercase. This column will not be imported.`
        : `"${name}" is not a recognized column and will not be imported. Recognized columns: ${PATIENT_CSV_COLUMNS.join(', ')}.`,
    });
  });
  const errors: string[] = [];
  if (columns.phone === undefined) {
    const near = unrecognized.find((u) => u.suggestion === 'phone');
    errors.push(
      near
        ? `The file has no "phone" column (required). Did you mean to name "${near.header}" phone?`
        : 'The file has no "phone" column. The first row must be a header row with at least: phone.',
    );
  }
  return { columns, unrecognized, duplicates, errors };
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/;
// Hoisted: a regular expression literal in a function body is a new object at every call (per row).
const PHONE_LIKE = /^[\d\s().+-]{7,}$/;
const NAME_LIKE = /^[\p{L}][\p{L}' .-]*$/u;
const DIGIT = /\d/;
const TEXT_MARK = /^'/;
const TAG_SEPARATOR = /[;|]/;
export function isEmail(text: string): boolean {
  return EMAIL.test(text.trim());
}

/** What a value looks like, to catch values shifted into the wrong column. */
export function looksLike(value: string, defaultCountry = 'US'): 'email' | 'phone' | 'date' | 'name' | 'other' {
  const v = value.trim();
  if (isEmail(v)) return 'email';
  // Dates first: "1985-03-14" would otherwise go through the (slow) phone parser.
  if (looksLikeDate(v)) return 'date';
  if (PHONE_LIKE.test(v) && normalizePhone(v, defaultCountry)) return 'phone';
  if (NAME_LIKE.test(v) && !DIGIT.test(v)) return 'name';
  return 'other';
}

export type PatientRowValues = {
  phone: string;
  mrn: string | null;
  firstName: string | null;
  lastName: string | null;
  preferredName: string | null;
  dob: string | null;
  email: string | null;
  tags: string[];
  location: string | null;
  provider: string | null;
};

export type RowIssue = { severity: 'error' | 'warning'; field: string | null; message: string };

export type RowCheck = { values: PatientRowValues | null; issues: RowIssue[] };

/** A value quoted in a message, cut short: a 10 MB cell must not become a 10 MB message. */
function clip(value: string, max = 80): string {
  return value.length > max ? `${value.slice(0, max)}…` : value;
}

const LABEL: Record<PatientCsvColumn, string> = {
  phone: 'phone', mrn: 'mrn', first_name: 'first_name', last_name: 'last_name', dob: 'dob', email: 'email',
  preferred_name: 'preferred_name', tags: 'tags', location: 'location', provider: 'provider',
};

/** The row's value in `column`, trimmed; a leading apostrophe is the spreadsheet's "treat as text" mark (our own reports add it). */
function cellOf(row: string[], header: HeaderAnalysis, column: PatientCsvColumn): string {
  const index = header.columns[column];
  return index === undefined ? '' : (row[index] ?? '').trim().replace(TEXT_MARK, '').trim();
}

/** Whether the header names column `index` (recognized or not): its values are imported, or already reported once for the file. */
function isNamedColumn(header: HeaderAnalysis, index: number): boolean {
  for (const column of PATIENT_CSV_COLUMNS) if (header.columns[column] === index) return true;
  for (const finding of header.unrecognized) if (finding.index === index) return true;
  return false;
}

/**
 * Validates one CSV row. Errors mean the row is not imported (the file should be fixed);
 * warnings mean it is imported, but something in it deserves a look.
 * An import runs this on every row of the file twice (dry run, apply): it builds no closure, set
 * or array per row that it does not return, so a 100,000-row file leaves little garbage.
 */
export function checkPatientRow(row: string[], header: HeaderAnalysis, options: { defaultCountry?: string; today?: Date } = {}): RowCheck {
  const country = options.defaultCountry ?? 'US';
  const issues: RowIssue[] = [];
  const cell = (column: PatientCsvColumn) => cellOf(row, header, column);
  const error = (field: string | null, message: string) => issues.push({ severity: 'error', field, message });
  const warn = (field: string | null, message: string) => issues.push({ severity: 'warning', field, message });

  // NUL and other control characters: the database cannot store NUL, and the others only hide
  // text. The row is reported (without echoing the character), never imported.
  let controlled = 0;
  for (let index = 0; index < row.length && controlled < 5; index++) {
    const char = firstControlChar(row[index]!);
    if (!char) continue;
    controlled += 1;
    const column = Object.entries(header.columns).find(([, i]) => i === index)?.[0];
    error(column ?? null, `Column ${index + 1}${column ? ` (${column})` : ''} contains a control character (${char}) that cannot be imported: remove it from the file`);
  }
  if (controlled) return { values: null, issues };

  const rawPhone = cell('phone');
  const phone = rawPhone ? normalizePhone(rawPhone, country) : null;
  if (!rawPhone) error('phone', 'Phone is empty (required)');
  else if (!phone && phoneExtension(rawPhone)) error('phone', phoneExtensionMessage(clip(rawPhone)));
  else if (!phone) error('phone', `"${clip(rawPhone)}" is not a valid phone number`);

  const mrn = cleanIdentifier(cell('mrn'));
  const kindOfMrn = mrn ? looksLike(mrn, country) : null;
  if (kindOfMrn === 'email' || kindOfMrn === 'phone' || kindOfMrn === 'date' || (kindOfMrn === 'name' && !DIGIT.test(mrn) && mrn.length > 1)) {
    error('mrn', `mrn "${clip(mrn)}" looks like ${kindOfMrn === 'name' ? 'a name' : `a ${kindOfMrn}`}: is a column missing or shifted in this row?`);
  }
  for (const column of ['first_name', 'last_name', 'preferred_name'] as const) {
    const value = cell(column);
    if (!value) continue;
    const kind = looksLike(value, country);
    if (kind === 'email' || kind === 'phone' || kind === 'date') {
      error(column, `${LABEL[column]} "${clip(value)}" looks like ${kind === 'email' ? 'an email' : `a ${kind}`}: is a column missing or shifted in this row?`);
    }
  }

  let dob: string | null = null;
  const rawDob = cell('dob');
  if (rawDob) {
    const kind = looksLike(rawDob, country);
    if (kind === 'email' || kind === 'name') {
      error('dob', `dob "${clip(rawDob)}" looks like ${kind === 'email' ? 'an email' : 'a name'}: is a column missing or shifted in this row?`);
    } else {
      const parsed = parseDob(rawDob, options.today);
      if (parsed && 'error' in parsed) error('dob', `Impossible date of birth: ${parsed.error}`);
      else if (parsed) dob = parsed.value;
    }
  }

  const rawEmail = cell('email');
  let email: string | null = null;
  if (rawEmail) {
    if (isEmail(rawEmail)) email = rawEmail.toLowerCase();
    else error('email', `"${clip(rawEmail)}" is not a valid email address`);
  }

  // Values under no header (or an unrecognized one) are not imported: say so when they matter.
  for (let index = 0; index < row.length; index++) {
    const v = row[index]!.trim();
    if (!v || isNamedColumn(header, index)) continue;
    const kind = looksLike(v, country);
    const what = kind === 'email' ? 'an email' : kind === 'phone' ? 'a phone number' : kind === 'date' ? 'a date' : 'a value';
    warn(null, `Column ${index + 1} has no header; it holds ${what} ("${clip(v)}") that will not be imported${kind === 'email' ? '. Add an "email" header to import it' : ''}`);
  }

  if (issues.some((i) => i.severity === 'error')) return { values: null, issues };
  const rawTags = cell('tags');
  const tags = rawTags
    ? rawTags
        .split(TAG_SEPARATOR)
        .map((t) => t.trim())
        .filter(Boolean)
    : [];
  return {
    values: {
      phone: phone!,
      mrn: mrn || null,
      firstName: cleanName(cell('first_name')) || null,
      lastName: cleanName(cell('last_name')) || null,
      preferredName: cleanName(cell('preferred_name')) || null,
      dob,
      email,
      tags,
      location: cell('location') || null,
      provider: cell('provider') || null,
    },
    issues,
  };
}
