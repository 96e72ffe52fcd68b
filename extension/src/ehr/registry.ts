import { type AdapterDefinition, adminDefinedAdapter } from './admin-defined';
import { genericAdapter } from './generic';
import { openEmrAdapter } from './openemr';
import { EHR_MAX_PAGE_ROWS } from '@caretext/shared/ehr-fields';
import { contextKey, type EhrAdapter, identifies, type PatientContext } from './patient-context';

export const BUILT_IN_ADAPTERS: readonly EhrAdapter[] = [openEmrAdapter, genericAdapter];

export type PageReading = { adapterId: string; patient: PatientContext };

/** The patients a list on the page shows (a schedule, a worklist): at least two, at most EHR_MAX_PAGE_ROWS. */
export type PageList = { adapterId: string; rows: PatientContext[] };

/** Built-in adapters plus the admin-defined ones synced from the server. */
export function adaptersWith(definitions: readonly AdapterDefinition[]): EhrAdapter[] {
  return [...definitions.map(adminDefinedAdapter), ...BUILT_IN_ADAPTERS];
}

/**
 * The patient on screen: the most trusted adapter that matches the page and reads a patient
 * from it (an MRN, or a name with a DOB or phone). A throwing adapter is skipped, never fatal.
 */
export function readPatient(url: URL, doc: Document, adapters: readonly EhrAdapter[]): PageReading | null {
  const ordered = [...adapters].sort((a, b) => b.confidence - a.confidence);
  for (const adapter of ordered) {
    try {
      if (!adapter.matches(url, doc)) continue;
      const patient = adapter.read(doc);
      if (patient && identifies(patient)) return { adapterId: adapter.id, patient };
    } catch (error) {
      console.warn(`[caretext] the ${adapter.id} adapter failed on this page`, error);
    }
  }
  return null;
}

/**
 * The list of patients on screen, if any: the most trusted matching adapter that reads at least
 * two identifying rows (one row is the single patient readPatient finds). A throwing adapter is
 * skipped, never fatal.
 */
export function readPatientList(url: URL, doc: Document, adapters: readonly EhrAdapter[]): PageList | null {
  const ordered = [...adapters].sort((a, b) => b.confidence - a.confidence);
  for (const adapter of ordered) {
    try {
      if (!adapter.readRows || !adapter.matches(url, doc)) continue;
      const rows = (adapter.readRows(doc) ?? []).filter(identifies).slice(0, EHR_MAX_PAGE_ROWS);
      if (rows.length >= 2) return { adapterId: adapter.id, rows };
    } catch (error) {
      console.warn(`[caretext] the ${adapter.id} adapter failed to read the list on this page`, error);
    }
  }
  return null;
}

/** Stable key of the list on screen: the sidebar follows the page when it changes. */
export function listKey(list: PageList | null): string {
  return list ? `${list.adapterId}:${list.rows.map(contextKey).join('\n')}` : '';
}
