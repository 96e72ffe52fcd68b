import { type AdapterSelectors, EHR_FIELD_LABELS, EHR_PATIENT_FIELDS, type EhrPatientField, fieldValue, formatPhoneForDisplay, normalizePhone, parseDob, selectText } from '@caretext/shared';

export type { AdapterSelectors };
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
