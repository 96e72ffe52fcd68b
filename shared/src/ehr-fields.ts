/**
 * The patient fields CareText reads from an EHR page: what the extension's adapters return, what
 * an admin-defined adapter gives a CSS selector for (server, Settings → EHR adapters) and what
 * the adapter preview shows. One list, so a field added here is read, stored and shown everywhere.
 */
export const EHR_PATIENT_FIELDS = ['name', 'firstName', 'lastName', 'dob', 'mrn', 'phone', 'email'] as const;
export type EhrPatientField = (typeof EHR_PATIENT_FIELDS)[number];

/** How Settings → EHR adapters names each field, with an example selector. */
export const EHR_FIELD_LABELS: Readonly<Record<EhrPatientField, { label: string; example: string }>> = Object.freeze({
  name: { label: 'Full name', example: '.patient-header .name' },
  firstName: { label: 'First name', example: '#fname' },
  lastName: { label: 'Last name', example: '#lname' },
  dob: { label: 'Date of birth', example: '[data-field="dob"]' },
  mrn: { label: 'MRN', example: '.mrn' },
  phone: { label: 'Phone', example: '.contact .phone' },
  email: { label: 'Email', example: '.contact .email' },
});

/** The server's limits for each field: longer page text is not a value we could use. */
export const EHR_FIELD_MAX_LENGTH: Readonly<Record<EhrPatientField, number>> = Object.freeze({ name: 100, firstName: 100, lastName: 100, dob: 40, mrn: 64, phone: 40, email: 254 });

/** An admin-defined adapter's CSS selector per field (null or absent: not read). */
export type AdapterSelectors = Partial<Record<EhrPatientField, string | null>>;

/**
 * An admin-defined adapter's list of patients (a schedule, a worklist): `row` selects each
 * patient's row, and each field's selector is read inside that row. Absent or null: the adapter
 * reads no list.
 */
export type AdapterRowSelectors = { row: string; fields: AdapterSelectors };

/** At most this many rows of a page's patient list are read and matched (patients.matchMany). */
export const EHR_MAX_PAGE_ROWS = 200;
