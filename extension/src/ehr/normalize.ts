import { normalizePhone, parseDob } from '@caretext/shared';
import type { PatientContext } from './patient-context';

/** What the server's patients.match and patients.create take, from what the page showed. */
export type PatientFromPage = {
  firstName: string | null;
  lastName: string | null;
  /** YYYY-MM-DD, or null when the page's date was not a real date of birth. */
  dob: string | null;
  mrn: string | null;
  /** E.164, or null when the page's phone is not a valid number. */
  phone: string | null;
  email: string | null;
  /** The name as the page shows it, for the sidebar. */
  displayName: string | null;
};

/**
 * Runs in the background (it carries libphonenumber's metadata, which the content script must
 * not): the same phone and DOB rules as the server's import, so a page and a CSV row of the same
 * patient match the same record.
 */
export function normalizePatient(p: PatientContext, defaultCountry = 'US'): PatientFromPage {
  const dob = p.dob ? parseDob(p.dob) : null;
  return {
    firstName: p.firstName,
    lastName: p.lastName,
    dob: dob && 'value' in dob ? dob.value : null,
    mrn: p.mrn,
    phone: p.phone ? normalizePhone(p.phone, defaultCountry) : null,
    email: p.email,
    displayName: p.name ?? ([p.firstName, p.lastName].filter(Boolean).join(' ') || null),
  };
}
