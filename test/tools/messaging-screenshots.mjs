// Screenshots of SMS messaging (docs/screenshots) against a running demo server with its seeded
// demo org and the simulated carrier (no Twilio credentials):
//   node test/tools/messaging-screenshots.mjs [baseUrl] [outDir]
// It upgrades the demo org, picks a 415 number for Front Desk, texts three patients and has them
// reply, then shoots the inbox, the Create a chat dialog and the number picker at 1280x800.
import { execFileSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';

const BASE = process.argv[2] ?? 'http://localhost:3000';
const OUT = path.resolve(process.argv[3] ?? 'docs/screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

await mkdir(OUT, { recursive: true });
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, baseURL: BASE });
context.setDefaultTimeout(15_000);
const page = await context.newPage();

async function shot(name) {
  // Confirmations in the corner would cover part of the picture.
  while (await page.locator('.notice-close').count()) await page.locator('.notice-close').first().click();
  await page.waitForFunction(() => !document.querySelector('[data-testid="loading"]'), null, { timeout: 5000 }).catch(() => {});
  await page.screenshot({ path: path.join(OUT, `${name}.png`) });
  console.log(`${name}.png`);
}

await page.goto('/sign-in');
await page.fill('#email', 'admin@sunrise-clinic.example');
await page.fill('#password', 'caretext-demo-admin');
await page.getByTestId('sign-in-submit').click();
await page.waitForURL((url) => !url.pathname.startsWith('/sign-in'));

// Plan: the SMS plan, then Pick your phone number (415) for Front Desk.
await page.goto('/settings/plan');
await page.getByTestId('plan-tab').waitFor();
if (await page.getByTestId('upgrade-sms').count()) {
  await page.getByTestId('upgrade-sms').click();
  await page.getByTestId('confirm-button').click();
}
await page.getByTestId('phone-number-section').waitFor();
const hadNumber = (await page.getByTestId('owned-number').count()) > 0;
await page.getByTestId('select-phone-number').click();
await page.fill('#area-code', '415');
await page.getByTestId('search-numbers').click();
await page.getByTestId('number-option').first().waitFor();
await page.getByTestId('select-number').first().click();
await page.getByTestId('number-confirm').waitFor();
const frontDesk = page.getByTestId('number-team').locator('option', { hasText: 'Front Desk' }).first();
await page.getByTestId('number-team').selectOption(await frontDesk.getAttribute('value'));
await page.getByTestId('number-picker').scrollIntoViewIfNeeded();
await page.evaluate(() => {
  document.querySelector('[data-testid="phone-number-section"]').scrollIntoView({ block: 'start' });
  window.scrollBy(0, -20);
});
await shot('number-picker');
if (hadNumber) {
  await page.getByRole('button', { name: 'Cancel' }).first().click();
} else {
  await page.getByTestId('confirm-number').click();
  await page.getByTestId('owned-number').waitFor();
}

// Patients with names, each texted from the inbox; replies come from the simulated carrier.
const PATIENTS = [
  { first: 'Priya', last: 'Shah', phone: '(415) 555-2917', messages: [['out', 'Hi Priya, your flu shot is ready at the front desk any weekday 8am–5pm.'], ['in', 'Great, I’ll come by Thursday']] },
  { first: 'James', last: 'Okafor', phone: '(415) 555-0003', messages: [['out', 'Hi James, this is Sunrise Family Clinic. Please call us to reschedule your visit.']] },
  {
    first: 'Maria',
    last: 'Garcia',
    phone: '(415) 555-2671',
    messages: [
      ['out', 'Hi Maria, this is Sunrise Family Clinic: your appointment with Dr. Rivera is Tuesday at 10:00 AM. Reply C to confirm or N to cancel.', 'confirm'],
      ['in', 'C'],
      ['in', 'Is there parking at the clinic?'],
      ['out', 'Yes! Free parking behind the building, entrance on Oak St. See you Tuesday.'],
    ],
  },
];

async function send(body, confirm) {
  await page.getByTestId('composer-text').fill(body);
  if (confirm) await page.getByTestId('ask-confirm').check();
  await page.getByTestId('send-button').click();
  const quiet = page.getByTestId('quiet-hours-dialog');
  const bubble = page.getByTestId('message-body').getByText(body, { exact: true });
  await Promise.race([quiet.waitFor(), bubble.waitFor()]);
  if (await quiet.count()) await quiet.getByTestId('quiet-send-now').click();
  await bubble.waitFor();
}

for (const p of PATIENTS) {
  const name = `${p.first} ${p.last}`;
  await page.goto('/inbox');
  await page.getByTestId('inbox').waitFor();
  const existing = page.getByTestId('conversation-item').filter({ hasText: name });
  await page.locator('[data-testid="conversation-list"], [data-testid="inbox-empty"]').first().waitFor();
  if (await existing.count()) continue;
  await page.goto('/directory/patients/new');
  await page.fill('#patient-phone', p.phone);
  await page.fill('#patient-firstName', p.first);
  await page.fill('#patient-lastName', p.last);
  await page.getByTestId('patient-save').click();
  await page.getByTestId('patient-profile').waitFor();
  await page.getByTestId('text-patient').click();
  const dialog = page.getByTestId('new-conversation-dialog');
  await dialog.locator('[data-testid="channel-sms"][data-available="true"]').waitFor();
  await dialog.getByTestId('start-conversation').click();
  await page.getByTestId('conversation').waitFor();
  for (const [direction, body, confirm] of p.messages) {
    if (direction === 'out') {
      await send(body, confirm === 'confirm');
      // Let the simulated carrier report back before the patient answers.
      const sent = page.getByTestId('message').filter({ hasText: body });
      await sent.locator('[data-testid="message-status"]').filter({ hasText: /Delivered|Undelivered|Failed/ }).waitFor();
    } else {
      await page.getByTestId('reply-as-patient-input').fill(body);
      await page.getByTestId('reply-as-patient-send').click();
      await page.getByTestId('message-body').getByText(body, { exact: true }).waitFor();
    }
  }
}

// The inbox with Maria's conversation open and a reply being written.
await page.goto('/inbox');
await page.getByTestId('conversation-item').filter({ hasText: 'Maria Garcia' }).click();
await page.getByTestId('conversation').waitFor();
await page.getByTestId('confirmation-chip').filter({ hasText: 'Confirmed' }).waitFor();
await page.getByTestId('composer-text').fill('Hi {{first_name}}, please bring your insurance card and a photo ID.');
await page.mouse.move(0, 0);
await shot('inbox');

// Create a chat: a new patient by phone number, sending from Front Desk, SMS available.
await page.getByTestId('new-chat-button').click();
await page.getByTestId('create-chat').click();
const dialog = page.getByTestId('new-conversation-dialog');
await dialog.getByTestId('new-conversation-to').fill('(415) 555-2480');
await dialog.getByTestId('contact-option').click();
await dialog.getByTestId('picked-patient').waitFor();
await dialog.locator('[data-testid="channel-sms"][data-available="true"]').waitFor();
await dialog.getByTestId('new-conversation-to').fill('Maria');
await dialog.getByTestId('patient-option').first().waitFor();
await shot('new-conversation');

await browser.close();
