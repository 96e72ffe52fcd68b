// Screenshots of the web app against a running demo server (seeded demo org), for the README
// and for looking at layout changes:  node test/tools/screenshots.mjs [baseUrl] [outDir]
import { execFileSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';

const BASE = process.argv[2] ?? 'http://localhost:3000';
const OUT = path.resolve(process.argv[3] ?? '/tmp/shots');
const ONLY = process.env.SHOTS?.split(',');
const CHROMIUM = process.env.CHROMIUM_PATH ?? execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

await mkdir(OUT, { recursive: true });
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
const viewport = { width: 1280, height: 800 };

async function shot(page, name, url, { full = false, after } = {}) {
  if (ONLY && !ONLY.includes(name)) return;
  if (url) await page.goto(`${BASE}${url}`);
  await page.waitForLoadState('networkidle').catch(() => {});
  await page.waitForFunction(() => !document.querySelector('[data-testid="loading"]'), null, { timeout: 5000 }).catch(() => {});
  if (after) await after(page);
  await page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: full });
  console.log(`${name}.png`);
}

async function signIn(context, email, password) {
  const page = await context.newPage();
  await page.goto(`${BASE}/sign-in`);
  await page.fill('#email', email);
  await page.fill('#password', password);
  await page.click('[data-testid="sign-in-submit"]');
  // Signing in lands on the Inbox (or wherever `next` pointed).
  await page.waitForURL((url) => !url.pathname.startsWith('/sign-in'));
  return page;
}

const guest = await (await browser.newContext({ viewport })).newPage();
await shot(guest, 'sign-in', '/sign-in');
await shot(guest, 'sign-up', '/sign-up', {
  after: async (p) => {
    await p.fill('#email', 'not-an-email');
    await p.click('[data-testid="sign-up-submit"]');
  },
});
await shot(guest, 'forgot-password', '/forgot-password');
await shot(guest, 'reset-password', '/reset-password/abcdefghijklmnop');
await shot(guest, 'invite-invalid', '/invite/abcdefghijklmnop');
await shot(guest, 'mailbox-guest', '/dev/mailbox');

const adminContext = await browser.newContext({ viewport });
const admin = await signIn(adminContext, 'admin@sunrise-clinic.example', 'caretext-demo-admin');

// Some activity first, so the lists are not empty: a join request, a pending invite, a new team.
// Someone new, before they have an organization, asks to join with the demo org's code.
const newcomer = await (await browser.newContext({ viewport })).newPage();
await newcomer.goto(`${BASE}/sign-up`);
await newcomer.fill('#name', 'Jordan Lee');
await newcomer.fill('#email', 'jordan.lee@sunrise-clinic.example');
await newcomer.fill('#password', 'jordan-password-1');
await newcomer.getByTestId('sign-up-submit').click();
await Promise.race([newcomer.waitForURL(/\/welcome/), newcomer.getByTestId('form-error').waitFor()]);
if (!newcomer.url().includes('/welcome')) {
  // A second run: Jordan already has an account.
  await newcomer.goto(`${BASE}/sign-in?next=/welcome`);
  await newcomer.fill('#email', 'jordan.lee@sunrise-clinic.example');
  await newcomer.fill('#password', 'jordan-password-1');
  await newcomer.getByTestId('sign-in-submit').click();
  await newcomer.waitForURL(/\/welcome/);
}
await shot(newcomer, 'welcome-new', null, { full: true });
await admin.goto(`${BASE}/settings/members`);
const joinCode = (await admin.getByTestId('join-code-value').textContent()).trim();
await newcomer.fill('#join-code', joinCode);
await newcomer.fill('#join-message', "Hi, I'm the new front desk coordinator.");
await newcomer.getByRole('button', { name: 'Ask to join' }).click();
await newcomer.getByTestId('join-sent').waitFor();
await shot(newcomer, 'welcome-requested', null, { full: true });

const invitee = 'riley.chen@sunrise-clinic.example';
await admin.goto(`${BASE}/settings/members`);
await admin.fill('#invite-email', invitee);
await admin.getByTestId('invite-submit').click();
await admin.locator(`[data-testid="invite-row"][data-email="${invitee}"]`).waitFor();
await admin.goto(`${BASE}/settings/teams`);
if (!(await admin.locator('[data-testid="team-card"][data-name="Billing"]').count())) {
  await admin.fill('#team-name', 'Billing');
  await admin.getByTestId('create-team-submit').click();
  await admin.locator('[data-testid="team-card"][data-name="Billing"]').waitFor();
}

for (const tab of ['organization', 'members', 'teams', 'plan', 'policies']) {
  await shot(admin, `admin-${tab}`, `/settings/${tab}`, { full: true });
}
await shot(admin, 'plan-confirm', '/settings/plan', {
  after: async (p) => {
    const upgrade = p.getByTestId('upgrade-sms');
    if (await upgrade.count()) await upgrade.click();
  },
});
if (await admin.getByTestId('confirm-button').count()) {
  await admin.getByTestId('confirm-button').click();
  await admin.getByTestId('phone-number-section').waitFor();
}
await shot(admin, 'admin-plan-sms', '/settings/plan', { full: true });
await shot(admin, 'admin-audit', '/settings/audit', { full: true });
await shot(admin, 'members-remove-confirm', '/settings/members', {
  after: async (p) => {
    await p.getByTestId('member-remove').first().click();
  },
});
await shot(admin, 'mailbox', '/dev/mailbox', {
  after: async (p) => {
    const first = p.getByTestId('mail-item').first();
    if (await first.count()) await first.click();
  },
});
const inviteLink = await admin.getByTestId('mail-link').first().getAttribute('href').catch(() => null);
if (inviteLink) await shot(guest, 'invite', new URL(inviteLink).pathname);
await shot(admin, 'welcome-admin', '/welcome', { full: true });

// Directory: the empty list, then the docs' seed sheet plus a clinic's worth of rows imported
// through the UI (its dry-run report is a shot), then the list and a profile with consent.
const FIRST = ['Maya', 'Noah', 'Olivia', 'Liam', 'Emma', 'Elijah', 'Ava', 'Lucas', 'Sofia', 'Mateo', 'Grace', 'Omar'];
const LAST = ['Garcia', 'Nguyen', 'Kim', 'Okafor', 'Rossi', 'Cohen', 'Haddad', 'Silva', 'Novak', 'Tanaka', 'Brown', 'Ali'];
const demoCsv = [
  // The last header has a typo, as files from the front desk often do.
  'phone,mrn,first_name,last_name,dob,email,Provdier',
  '(555) 123-4567,MRN-0001,Amina,Patel,1985-03-14,amina@example.com',
  '(555) 234-5678,MRN-0002,Jordan,Lee,1990-07-22,jordan@example.com',
  '(555) 345-6789,John,Smith,,',
  '(555) 456-7890,MRN-0004,cora@example.com',
  '(555) 123-4567,MRN-0005,Zara,Patel,2016-09-01,',
  '(415) 555-0199,MRN-0006,Eli,Brooks,02/30/1990,',
  ...Array.from({ length: 60 }, (_, i) => {
    const n = String(2100 + i * 7);
    const phone = [`(415) 555-${n}`, `415.555.${n}`, `+1 415 555 ${n}`, `415555${n}`][i % 4];
    const [first, last] = [FIRST[i % FIRST.length], LAST[(i * 7 + Math.floor(i / FIRST.length)) % LAST.length]];
    const dob = `${1948 + ((i * 7) % 60)}-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + ((i * 3) % 28)).padStart(2, '0')}`;
    const email = i % 3 === 2 ? '' : `${first}.${last}@example.com`.toLowerCase();
    return `${phone},SFC-${n},${first},${last},${dob},${email},${i % 2 ? 'Dr. Rivera' : 'Dr. Chen'}`;
  }),
].join('\n');

await shot(admin, 'patients-empty', '/directory/patients');
await admin.goto(`${BASE}/directory/patients/import`);
await shot(admin, 'import-start', null, { full: true });
await admin.setInputFiles('#import-file', { name: 'sunrise-patients.csv', mimeType: 'text/csv', buffer: Buffer.from(demoCsv) });
await admin.getByTestId('upload-submit').click();
await admin.getByTestId('dry-run-report').waitFor();
await admin.getByTestId('issues-table').waitFor();
await shot(admin, 'import-report', null, { full: true });
await shot(admin, 'import-report-top', null);
if (await admin.getByTestId('confirm-import').isEnabled()) {
  await admin.getByTestId('confirm-import').click();
  await admin.getByTestId('import-complete').waitFor();
  await shot(admin, 'import-complete', null, { full: true });
} else {
  await admin.getByTestId('cancel-import').click();
}

// Amina's record, filled in by staff: consent from her intake form, a tag, her provider.
await admin.goto(`${BASE}/directory/patients?q=MRN-0001`);
await admin.getByTestId('patient-link').first().click();
await admin.getByTestId('patient-profile').waitFor();
const aminaUrl = new URL(admin.url()).pathname;
if (!(await admin.getByTestId('consent-event').count())) {
  await admin.getByTestId('edit-patient-button').click();
  await admin.getByTestId('patient-form').waitFor();
  await admin.selectOption('#patient-line-type', 'mobile');
  await admin.fill('#patient-email', 'amina@example.com');
  await admin.fill('#patient-location', 'Main Street office');
  await admin.fill('#patient-provider', 'Dr. Rivera');
  await admin.fill('#patient-tags', 'diabetes, prefers-mornings');
  await admin.getByTestId('patient-smsTransactionalOptIn').check();
  await admin.getByTestId('patient-emailMarketingOptIn').check();
  await admin.getByTestId('consent-source').getByLabel('On an intake form').check();
  await shot(admin, 'patient-form', null);
  await admin.getByTestId('patient-save').click();
  await admin.getByTestId('patient-profile').waitFor();
}
await shot(admin, 'patient-profile', aminaUrl, { full: true });

// A landline and an opt-out, so the list shows its status badges.
for (const [mrn, change] of [
  ['SFC-2135', (p) => p.selectOption('#patient-line-type', 'landline')],
  ['SFC-2289', (p) => p.getByTestId('patient-optedOut').check()],
  ['SFC-2359', (p) => p.getByTestId('patient-blocked').check()],
]) {
  await admin.goto(`${BASE}/directory/patients?q=${mrn}`);
  await admin.locator('[data-testid="patients-table"], [data-testid="patients-no-match"]').first().waitFor();
  const link = admin.getByTestId('patient-link').first();
  if (!(await link.count())) continue;
  await link.click();
  await admin.getByTestId('edit-patient-button').click();
  await admin.getByTestId('patient-form').waitFor();
  await change(admin);
  await admin.getByTestId('patient-save').click();
  await admin.getByTestId('patient-profile').waitFor();
}
await shot(admin, 'patients-list', '/directory/patients');
await shot(admin, 'patients-search', '/directory/patients?q=555.234.5678');

const memberContext = await browser.newContext({ viewport });
const member = await signIn(memberContext, 'nurse@sunrise-clinic.example', 'caretext-demo-nurse');
for (const tab of ['organization', 'members', 'plan', 'policies']) {
  await shot(member, `member-${tab}`, `/settings/${tab}`, { full: true });
}

await browser.close();
