import { refreshSession } from '../../../lib/session';

export class UploadError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const SPREADSHEET = /\.(xlsx|xlsm|xls|numbers|ods)$/i;

/** What is wrong with a chosen file before it is sent, or null. */
export function checkFile(file: { name: string; size: number }): string | null {
  if (SPREADSHEET.test(file.name)) return `${file.name} is a spreadsheet file. Save it as CSV first (File → Save As → CSV), then upload the .csv file.`;
  if (file.size === 0) return 'The file is empty.';
  return null;
}

const FALLBACK: Record<number, string> = {
  400: 'The file could not be read.',
  401: 'Please sign in again.',
  409: 'This file is already being imported.',
  413: 'The file is too large. Split it into smaller files.',
};

/**
 * Sends the file as it is (the server streams it to storage) and returns the new import job.
 * The server's own message is shown for every refusal: it says what to do.
 */
export async function uploadPatientsCsv(file: File): Promise<{ jobId: string }> {
  const response = await fetch(`/api/imports/patients?name=${encodeURIComponent(file.name)}`, {
    method: 'POST',
    body: file,
    credentials: 'include',
    headers: { 'Content-Type': file.type || 'text/csv' },
  });
  const body = (await response.json().catch(() => ({}))) as { jobId?: string; error?: string };
  if (response.ok && body.jobId) return { jobId: body.jobId };
  // Signed out or removed meanwhile: let the session (and the routes) catch up.
  if ([401, 403, 412].includes(response.status)) void refreshSession();
  throw new UploadError(response.status, body.error ?? FALLBACK[response.status] ?? `The upload failed (HTTP ${response.status}). Try again.`);
}
