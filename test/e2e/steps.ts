import type { Locator, Page } from 'playwright-core';

/** What people do in the app, in the product's words, so tests read like the feature's spec. */

export type Person = { name: string; email: string; password: string };

let counter = 0;
export function person(name: string): Person {
  const slug = name.toLowerCase().replace(/[^a-z]+/g, '.');
  return { name, email: `${slug}.${Date.now().toString(36)}${counter++}@clinic.example`, password: 'correct-horse-battery' };
}

export async function signUp(page: Page, who: Person): Promise<void> {
  await page.goto('/sign-up');
  await fillSignUp(page, who);
}

/** The sign-up form, wherever it was opened from (the invite page prefills the email). */
export async function fillSignUp(page: Page, who: Person): Promise<void> {
  await page.fill('#name', who.name);
  if ((await page.inputValue('#email')) !== who.email) await page.fill('#email', who.email);
  await page.fill('#password', who.password);
  await page.getByTestId('sign-up-submit').click();
}

export async function createOrg(page: Page, name: string, timeZone = 'America/Chicago'): Promise<void> {
  await page.waitForURL('**/welcome');
  await page.fill('#org-name', name);
  await page.selectOption('#org-time-zone', timeZone);
  await page.getByTestId('create-org-submit').click();
  await page.waitForURL('**/settings/organization');
}

export async function invite(page: Page, email: string, role: 'member' | 'admin' = 'member'): Promise<void> {
  await page.getByTestId('tab-members').click();
  await page.fill('#invite-email', email);
  await page.selectOption('#invite-role', role);
  await page.getByTestId('invite-submit').click();
  await inviteRow(page, email).waitFor();
}

/** The invitee reads the email on the Dev mailbox page and follows its link. */
export async function followInviteEmail(page: Page, orgName: string): Promise<void> {
  await page.goto('/dev/mailbox');
  await page.getByTestId('mail-item').filter({ hasText: `invited you to ${orgName}` }).first().click();
  await page.getByTestId('mail-view').getByTestId('mail-link').first().click();
  await page.waitForURL('**/invite/**');
}

export const memberRow = (page: Page, email: string): Locator => page.locator(`[data-testid="member-row"][data-email="${email}"]`);
export const inviteRow = (page: Page, email: string): Locator => page.locator(`[data-testid="invite-row"][data-email="${email}"]`);

/** Directory → Patients, from the left navigation. */
export async function openPatients(page: Page): Promise<void> {
  await page.getByTestId('nav-directory').click();
  await page.waitForURL('**/directory/patients');
  await page.getByTestId('patients-list').waitFor();
}

/** Directory → Patients → Import CSV: choose the file, upload it, and wait for the dry-run report. */
export async function uploadPatientsCsv(page: Page, file: string): Promise<void> {
  await page.goto('/directory/patients/import');
  await page.setInputFiles('#import-file', file);
  await page.getByTestId('upload-submit').click();
  await page.waitForURL('**/directory/patients/import/*');
  await page.getByTestId('dry-run-report').waitFor();
}

export const patientRow = (page: Page, name: string): Locator => page.getByTestId('patient-row').filter({ hasText: name });
