import type { PatientCsvColumn } from '@caretext/shared';

/** The columns the help page and the template show; the import also takes preferred_name, tags, location, provider. */
export const TEMPLATE_COLUMNS = ['phone', 'mrn', 'first_name', 'last_name', 'dob', 'email'] as const satisfies readonly PatientCsvColumn[];

export const EXAMPLE_ROWS: readonly (readonly string[])[] = [
  ['(555) 123-4567', 'MRN-0001', 'Amina', 'Patel', '1985-03-14', 'amina@example.com'],
  ['(555) 234-5678', 'MRN-0002', 'Jordan', 'Lee', '1990-07-22', 'jordan@example.com'],
  ['555.345.6789', '', 'John', 'Smith', '', ''],
];

function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** A ready-to-fill CSV: the header row and the example rows. */
export function templateCsv(): string {
  return [TEMPLATE_COLUMNS, ...EXAMPLE_ROWS].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** Made here, in the browser: the link works offline and needs no server route. */
export function templateHref(): string {
  return `data:text/csv;charset=utf-8,${encodeURIComponent(templateCsv())}`;
}
