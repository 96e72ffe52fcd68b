import { type AdapterDefinition, adminDefinedAdapter } from './admin-defined';
import { genericAdapter } from './generic';
import { openEmrAdapter } from './openemr';
import { type EhrAdapter, identifies, type PatientContext } from './patient-context';

export const BUILT_IN_ADAPTERS: readonly EhrAdapter[] = [openEmrAdapter, genericAdapter];

export type PageReading = { adapterId: string; patient: PatientContext };

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
