/**
 * What an adapter reads from the EHR page. Every value is untrusted page text: trimmed,
 * whitespace-collapsed and length-capped, never HTML. DOB is YYYY-MM-DD when the page's date
 * could be understood, otherwise the text as shown; phone is as shown (the background turns it
 * into E.164 with the same rules as the server).
 */
export type PatientContext = {
  name: string | null;
  firstName: string | null;
  lastName: string | null;
  dob: string | null;
  mrn: string | null;
  phone: string | null;
  email: string | null;
};

export type PatientField = keyof PatientContext;
export const PATIENT_FIELDS: readonly PatientField[] = ['name', 'firstName', 'lastName', 'dob', 'mrn', 'phone', 'email'];

/**
 * One EHR: where it runs, how it reads the patient on screen, and how much its reading is
 * trusted over another adapter's that also matches the page (0..1). The sidebar never knows
 * which adapter answered.
 */
export type EhrAdapter = {
  id: string;
  /** How much to trust this adapter over others that also match (0..1). */
  confidence: number;
  matches(url: URL, document: Document): boolean;
  read(document: Document): PatientContext | null;
};

export function emptyContext(): PatientContext {
  return { name: null, firstName: null, lastName: null, dob: null, mrn: null, phone: null, email: null };
}

/**
 * Enough to tell one patient from another: an MRN, or a name with a DOB or phone. A name alone
 * (a provider's, a page heading) is not a patient.
 */
export function identifies(p: PatientContext): boolean {
  const named = Boolean(p.name || (p.firstName && p.lastName));
  return Boolean(p.mrn) || (named && Boolean(p.dob || p.phone));
}

/** Stable key of the patient on screen: the sidebar follows the page when it changes. */
export function contextKey(p: PatientContext | null): string {
  return p ? PATIENT_FIELDS.map((f) => p[f] ?? '').join('|') : '';
}
