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
  await page.waitForURL(/\/settings\//);
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

const memberContext = await browser.newContext({ viewport });
const member = await signIn(memberContext, 'nurse@sunrise-clinic.example', 'caretext-demo-nurse');
for (const tab of ['organization', 'members', 'plan', 'policies']) {
  await shot(member, `member-${tab}`, `/settings/${tab}`, { full: true });
}

await browser.close();
