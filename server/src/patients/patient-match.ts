import { parseDob } from '@caretext/shared';
import type { Patient } from '../generated/prisma/client.js';

/** What an EHR page says about one patient (the sidebar's patient, or one row of a list). */
export type MatchInput = { mrn?: string | null; phone?: string | null; firstName?: string | null; lastName?: string | null; dob?: string | null };

export type MatchedBy = 'mrn' | 'phone' | 'name_dob';

/**
 * Who the page's patient is, or why nobody is: one set of rules for the sidebar's single patient
 * (patients.match) and for a page's list (patients.matchMany).
 * - matched: by MRN first, then phone (a family phone narrowed by name and DOB), then name + DOB.
 * - different_mrn: a phone or name + DOB hit whose MRN differs from the page's.
 * - dob_mismatch: an MRN or phone hit whose date of birth differs from the page's (a family
 *   member on a parent's phone, a wrong chart): never a match to text.
 * - several_candidates: a family phone or a name + DOB that fits more than one patient.
 * - no_patient: nothing fits.
 */
export type MatchOutcome =
  | { kind: 'matched'; patient: Patient; matchedBy: MatchedBy }
  | { kind: 'different_mrn' | 'dob_mismatch'; patient: Patient; matchedBy: MatchedBy }
  | { kind: 'several_candidates' }
  | { kind: 'no_patient' };

/** Where candidates come from: the database one query at a time, or a batch fetched up front. */
export type CandidateSource = {
  /** The org's patient with this MRN (case-insensitive), if any. */
  byMrn(mrn: string): Promise<Patient | null>;
  /** Patients with this E.164 phone, oldest first, at most 20. */
  byPhone(phone: string): Promise<Patient[]>;
  /** Patients born on this day (YYYY-MM-DD), at most 50. */
  byDob(dob: string): Promise<Patient[]>;
};

export function dobOf(input: MatchInput): string | null {
  const dob = input.dob ? parseDob(input.dob) : null;
  return dob && 'value' in dob ? dob.value : null;
}

/** `phone` is the page's phone in E.164 (normalized with the organization's country), or null. */
export async function matchPatient(input: MatchInput, phone: string | null, candidates: CandidateSource): Promise<MatchOutcome> {
  const dob = dobOf(input);
  const mrn = input.mrn?.trim() || null;
  const lower = (s: string | null | undefined) => (s ?? '').toLowerCase();
  const sameName = (p: Patient) => (!input.firstName || lower(p.firstName) === lower(input.firstName)) && (!input.lastName || lower(p.lastName) === lower(input.lastName));
  const dobDiffers = (p: Patient) => Boolean(dob && p.dob && p.dob !== dob);
  let conflict: { patient: Patient; matchedBy: MatchedBy } | null = null;
  let several = false;

  const accept = (patient: Patient, matchedBy: MatchedBy): MatchOutcome => {
    // Both sides have an MRN and they differ: another person (or a record to fix), never a match.
    if (mrn && patient.mrn && lower(patient.mrn.trim()) !== lower(mrn)) return { kind: 'different_mrn', patient, matchedBy };
    return { kind: 'matched', patient, matchedBy };
  };

  if (mrn) {
    const found = await candidates.byMrn(mrn);
    // The chart's MRN names the record; a contradicting DOB means someone must look, not guess.
    if (found) return dobDiffers(found) ? { kind: 'dob_mismatch', patient: found, matchedBy: 'mrn' } : accept(found, 'mrn');
  }
  if (phone) {
    const family = await candidates.byPhone(phone);
    const narrowed = family.length > 1 ? family.filter((p) => (dob ? p.dob === dob : true) && sameName(p)) : family;
    if (narrowed.length === 1 && !dobDiffers(narrowed[0]!)) return accept(narrowed[0]!, 'phone');
    // The only patient on this phone was born on another day: maybe a family member; name + DOB may still find them.
    if (narrowed.length === 1) conflict = { patient: narrowed[0]!, matchedBy: 'phone' };
    if (narrowed.length > 1) several = true;
  }
  if (dob && (input.firstName || input.lastName)) {
    const byDob = await candidates.byDob(dob);
    const named = byDob.filter((p) => input.firstName && input.lastName && sameName(p));
    if (named.length === 1) return accept(named[0]!, 'name_dob');
    if (named.length > 1) several = true;
  }
  if (conflict) return { kind: 'dob_mismatch', ...conflict };
  return { kind: several ? 'several_candidates' : 'no_patient' };
}
