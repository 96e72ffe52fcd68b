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

/**
 * The sign-up form, wherever it was opened from (the invite page prefills the email), then the
 * confirmation email's link, which creates the account and goes on to where sign-up was heading.
 */
export async function fillSignUp(page: Page, who: Person): Promise<void> {
  await page.fill('#name', who.name);
  if ((await page.inputValue('#email')) !== who.email) await page.fill('#email', who.email);
  await page.fill('#password', who.password);
  await page.getByTestId('sign-up-submit').click();
  await page.getByTestId('sign-up-sent').waitFor();
  await page.goto('/dev/mailbox');
  await page.getByTestId('mail-item').filter({ hasText: 'Confirm your email' }).filter({ hasText: who.email }).first().click();
  await page.getByTestId('mail-view').getByTestId('mail-link').first().click();
  await page.waitForURL((url) => !url.pathname.startsWith('/confirm-email') && !url.pathname.startsWith('/dev/'));
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

/**
 * The invitee has no account yet, so cannot read the Dev mailbox (it shows each signed-in person
 * only their own mail): the admin who invited them reads the pending invite there, in another
 * tab, and passes the link on; the invitee opens it.
 */
export async function followInviteEmail(page: Page, orgName: string, admin: Page): Promise<void> {
  const mailbox = await admin.context().newPage();
  await mailbox.goto('/dev/mailbox');
  await mailbox.getByTestId('mail-item').filter({ hasText: `invited you to ${orgName}` }).first().click();
  const link = await mailbox.getByTestId('mail-view').getByTestId('mail-link').first().getAttribute('href');
  await mailbox.close();
  await page.goto(link!);
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

/** Settings → Plan → Upgrade to SMS, confirmed. */
export async function upgradeToSms(page: Page): Promise<void> {
  await page.goto('/settings/plan');
  await page.getByTestId('upgrade-sms').click();
  await page.getByTestId('confirm-button').click();
  await page.getByTestId('phone-number-section').waitFor();
}

/** Settings → Teams → Create a team. */
export async function createTeam(page: Page, name: string): Promise<void> {
  await page.goto('/settings/teams');
  await page.fill('#team-name', name);
  await page.getByTestId('create-team-submit').click();
  await page.locator(`[data-testid="team-card"][data-name="${name}"]`).waitFor();
}

/**
 * Settings → Plan → Select a phone number: search the area code, take the first number offered
 * for `team` (joining it), and return the number as the card shows it, in E.164.
 */
export async function pickPhoneNumber(page: Page, areaCode: string, team: string): Promise<{ e164: string; display: string }> {
  await page.goto('/settings/plan');
  await page.getByTestId('select-phone-number').click();
  await page.fill('#area-code', areaCode);
  await page.getByTestId('search-numbers').click();
  const first = page.getByTestId('number-option').first();
  await first.waitFor();
  const e164 = (await first.getAttribute('data-number'))!;
  await first.getByTestId('select-number').click();
  const teamOption = page.getByTestId('number-team').locator('option', { hasText: team }).first();
  await page.getByTestId('number-team').selectOption((await teamOption.getAttribute('value'))!);
  await page.getByTestId('confirm-number').click();
  const owned = page.locator(`[data-testid="owned-number"][data-e164="${e164}"]`);
  await owned.waitFor();
  return { e164, display: (await owned.locator('.number-display').textContent())!.trim() };
}

/** Settings → Policies: quiet hours from `start` to `end` (HH:MM, the organization's time zone). */
export async function setQuietHours(page: Page, start: string, end: string): Promise<void> {
  await page.goto('/settings/policies');
  await page.getByTestId('quiet-hours-enabled').check();
  await page.fill('#quiet-start', start);
  await page.fill('#quiet-end', end);
  await page.getByTestId('save-policies').click();
  await page.getByTestId('notice').filter({ hasText: 'Policies saved.' }).waitFor();
}

/** Inbox → + → Create a chat → type a phone or email → Patient. The dialog stays open. */
export async function startChatDialog(page: Page, contact: string): Promise<Locator> {
  await page.getByTestId('nav-inbox').click();
  await page.getByTestId('inbox').waitFor();
  await page.getByTestId('new-chat-button').click();
  await page.getByTestId('create-chat').click();
  const dialog = page.getByTestId('new-conversation-dialog');
  await dialog.getByTestId('new-conversation-to').fill(contact);
  await dialog.getByTestId('contact-option').click();
  await dialog.getByTestId('picked-patient').waitFor();
  return dialog;
}

/** The open conversation's message whose text is `body`. */
export const message = (page: Page, body: string): Locator =>
  page.getByTestId('message').filter({ has: page.getByTestId('message-body').getByText(body, { exact: true }) });

/** A staff tRPC call with the signed-in browser's cookie (setup a test does not need to click through). */
export async function trpc<T>(page: Page, path: string, input: unknown, kind: 'mutation' | 'query' = 'mutation'): Promise<T> {
  const res =
    kind === 'query'
      ? await page.request.get(`/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`)
      : await page.request.post(`/trpc/${path}`, { data: { json: input } });
  const body = (await res.json()) as { result?: { data: { json: T } }; error?: unknown };
  if (!body.result) throw new Error(`${path}: ${JSON.stringify(body.error)}`);
  return body.result.data.json;
}
