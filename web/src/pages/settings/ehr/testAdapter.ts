import {
  type AdapterRowSelectors,
  type AdapterSelectors,
  contextFrom,
  EHR_FIELD_LABELS,
  EHR_PATIENT_FIELDS,
  type EhrPatientField,
  fieldValue,
  formatPhoneForDisplay,
  identifies,
  normalizePhone,
  parseDob,
  selectRows,
  selectText,
} from '@caretext/shared';

export type { AdapterRowSelectors, AdapterSelectors };
export type AdapterField = EhrPatientField;

/** The fields in the form's order, with their labels (shared with the extension and server). */
export const ADAPTER_FIELDS = EHR_PATIENT_FIELDS.map((key) => ({ key, ...EHR_FIELD_LABELS[key] }));

/** What one selector found on the pasted page. Every text here is plain text, never markup. */
export type FieldResult =
  | { field: AdapterField; status: 'skipped' }
  | { field: AdapterField; status: 'found'; raw: string; value: string }
  | { field: AdapterField; status: 'invalid-value'; raw: string; error: string }
  | { field: AdapterField; status: 'not-found' }
  | { field: AdapterField; status: 'invalid-selector'; error: string };

/**
 * Parses pasted EHR HTML into an inert document (DOMParser never runs scripts or loads images)
 * and reads each field with its selector exactly as the extension does (shared ehr-extract: an
 * input's value, the phone or date picked out of the text around it), then checks the value as
 * the extension's background does before matching (phone to E.164, a real, past date of birth).
 */
export function testAdapter(html: string, selectors: AdapterSelectors): FieldResult[] {
  const doc = new DOMParser().parseFromString(html, 'text/html');
  return ADAPTER_FIELDS.map(({ key }) => readField(doc, key, selectors[key]?.trim() ?? ''));
}

function readField(doc: Document, field: AdapterField, selector: string): FieldResult {
  if (!selector) return { field, status: 'skipped' };
  const raw = selectText(doc, selector);
  if (typeof raw !== 'string') return { field, status: 'invalid-selector', error: raw.invalid };
  if (!raw) return { field, status: 'not-found' };
  const value = fieldValue(field, raw);
  if (value === null) return { field, status: 'invalid-value', raw, error: `"${raw}" has no ${EHR_FIELD_LABELS[field].label.toLowerCase()} the extension can use` };
  if (field === 'phone') {
    const e164 = normalizePhone(value);
    return e164 ? { field, status: 'found', raw, value: formatPhoneForDisplay(e164) } : { field, status: 'invalid-value', raw, error: `"${raw}" is not a phone number` };
  }
  if (field === 'dob') {
    const dob = parseDob(value);
    if (dob && 'value' in dob) return { field, status: 'found', raw, value: dob.value };
    return { field, status: 'invalid-value', raw, error: dob?.error ?? 'No date' };
  }
  return { field, status: 'found', raw, value };
}

/** One row of a patient list as the extension reads it (name, DOB as YYYY-MM-DD, MRN, phone as shown). */
export type RowResult = { name: string | null; dob: string | null; mrn: string | null; phone: string | null };

/**
 * The patient list the row selectors find on the pasted page, read as the extension does
 * (shared selectRows + contextFrom). Rows that identify no one (no MRN, no name with a DOB or
 * phone) are counted apart: the extension leaves them out.
 */
export function testAdapterRows(html: string, rows: AdapterRowSelectors): { rows: RowResult[]; skipped: number } | { invalid: string } {
  const doc = new DOMParser().parseFromString(html, 'text/html');
  const raw = selectRows(doc, rows);
  if (!Array.isArray(raw)) return { invalid: raw.invalid };
  const read = raw.map((r) => contextFrom(r));
  const found = read.filter(identifies).map((c) => ({ name: c.name, dob: c.dob, mrn: c.mrn, phone: c.phone }));
  return { rows: found, skipped: read.length - found.length };
}
