import { EHR_PATIENT_FIELDS, type EhrPatientField } from '@caretext/shared/ehr-fields';
import type { PatientContext } from '@caretext/shared/ehr-extract';

export { emptyContext, identifies } from '@caretext/shared/ehr-extract';
export type { PatientContext };

export type PatientField = EhrPatientField;
export const PATIENT_FIELDS = EHR_PATIENT_FIELDS;

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
  /**
   * The patients a list on the page shows (a day's schedule, a worklist, search results), each
   * row as a context; null or empty when the page shows no such list.
   */
  readRows?(document: Document): PatientContext[] | null;
};

/** Stable key of the patient on screen: the sidebar follows the page when it changes. */
export function contextKey(p: PatientContext | null): string {
  return p ? PATIENT_FIELDS.map((f) => p[f] ?? '').join('|') : '';
}
