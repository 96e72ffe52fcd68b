import { type AdapterSelectors, EHR_FIELD_LABELS, EHR_PATIENT_FIELDS, type EhrPatientField, formatPhoneForDisplay, normalizePhone, parseDob } from '@caretext/shared';

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
 * and reads each field with its selector, normalized the way the extension normalizes it.
 */
export function testAdapter(html: string, selectors: AdapterSelectors): FieldResult[] {
  const doc = new DOMParser().parseFromString(html, 'text/html');
  return ADAPTER_FIELDS.map(({ key }) => readField(doc, key, selectors[key]?.trim() ?? ''));
}

function readField(doc: Document, field: AdapterField, selector: string): FieldResult {
  if (!selector) return { field, status: 'skipped' };
  let element: Element | null;
  try {
    element = doc.querySelector(selector);
  } catch (error) {
    return { field, status: 'invalid-selector', error: error instanceof Error ? error.message : String(error) };
  }
  const raw = element?.textContent?.trim() ?? '';
  if (!raw) return { field, status: 'not-found' };
  return normalize(field, raw);
}

function normalize(field: AdapterField, raw: string): FieldResult {
  if (field === 'phone') {
    const e164 = normalizePhone(raw);
    return e164 ? { field, status: 'found', raw, value: formatPhoneForDisplay(e164) } : { field, status: 'invalid-value', raw, error: `"${raw}" is not a phone number` };
  }
  if (field === 'dob') {
    const dob = parseDob(raw);
    if (dob && 'value' in dob) return { field, status: 'found', raw, value: dob.value };
    return { field, status: 'invalid-value', raw, error: dob?.error ?? 'No date' };
  }
  return { field, status: 'found', raw, value: raw.replace(/\s+/g, ' ') };
}
