import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openAs, type RunningApp, startApp } from './harness';
import { createOrg, createTeam, message, person, pickPhoneNumber, setQuietHours, signUp, startChatDialog, upgradeToSms } from './steps';

let app: RunningApp;
let browser: Browser;

beforeAll(async () => {
  app = await startApp();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

const ORG_ZONE = 'America/Chicago';
const PATIENT_PHONE = '(312) 555-4821';
const PATIENT_E164 = '+13125554821';

/** The clock time `hours` from now in the organization's time zone, as HH:MM. */
function orgClock(hours: number): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: ORG_ZONE, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(Date.now() + hours * 3_600_000));
}

const text = async (page: Page, testId: string) => (await page.getByTestId(testId).textContent())?.trim();

describe('SMS messaging in the browser', () => {
  it('an admin gets a number, texts a new patient, sees it delivered and the replies arrive live; PHI is flagged, STOP is honoured, and the phone log exports', async () => {
    const dana = person('Dana Reyes');
    const { page } = await openAs(browser, app);
    await signUp(page, dana);
    await createOrg(page, 'Bayview Family Clinic', ORG_ZONE);

    // Before anything is set up, the inbox says how an admin gets a number.
    await page.getByTestId('nav-inbox').click();
    expect(await text(page, 'inbox-no-number')).toContain('Upgrade to the SMS plan, then pick one under Settings → Plan → Select a phone number');

    // Plan → upgrade, a team for the number, then Pick your phone number by area code.
    await upgradeToSms(page);
    await createTeam(page, 'Front Desk');
    await page.goto('/settings/plan');
    await page.getByTestId('select-phone-number').click();
    await page.fill('#area-code', '41');
    await page.getByTestId('search-numbers').click();
    expect(await text(page, 'error-area-code')).toBe('Enter a 3-digit area code, like 415.');
    const number = await pickPhoneNumber(page, '415', 'Front Desk');
    expect(number.display).toMatch(/^\(415\) \d{3}-\d{4}$/);
    const owned = page.locator(`[data-testid="owned-number"][data-e164="${number.e164}"]`);
    expect(await owned.textContent()).toContain('San Francisco, CA');
    expect(await owned.textContent()).toContain('Team Front Desk · 1 member');

    // It is quiet hours right now (an hour either side), so the first send asks before going out.
    await setQuietHours(page, orgClock(-1), orgClock(1));

    // Inbox → + → Create a chat with a patient nobody has added yet: typing the number creates them.
    const dialog = await startChatDialog(page, PATIENT_PHONE);
    expect(await dialog.getByTestId('picked-patient').textContent()).toContain(PATIENT_PHONE);
    await dialog.locator('[data-testid="channel-sms"][data-available="true"]').waitFor();
    expect(await dialog.getByTestId('channel-sms').getAttribute('aria-checked')).toBe('true');
    // Secure Chat is offered too, with a warning: a patient made from a phone number has no date of birth yet.
    expect(await dialog.getByTestId('channel-secure').getAttribute('data-available')).toBe('true');
    expect(await dialog.getByTestId('secure-needs-dob').textContent()).toContain('No date of birth on file');
    expect(await dialog.getByTestId('send-from').inputValue()).not.toBe('');
    await dialog.getByTestId('start-conversation').click();
    await page.waitForURL('**/inbox/*');
    await page.getByTestId('conversation').waitFor();
    expect(await page.getByTestId('composer-text').evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await text(page, 'conversation-line')).toContain(`Front Desk · ${number.display}`);

    // The composer counts as you type; asking for a confirmation and sending during quiet hours.
    const reminder = 'Hi! This is Bayview Family Clinic: your appointment is Tuesday at 10am.';
    await page.getByTestId('composer-text').fill(reminder);
    expect(await text(page, 'composer-counter')).toBe(`${reminder.length} / 160 · 1 segment · GSM-7 · ≈ $0.01`);
    await page.getByTestId('composer-text').fill('See you soon 😊');
    expect(await text(page, 'composer-counter')).toBe('15 / 70 · 1 segment · UCS-2 · ≈ $0.01');
    await page.getByTestId('composer-text').fill(reminder);
    await page.getByTestId('ask-confirm').check();
    await page.getByTestId('send-button').click();
    const quiet = page.getByTestId('quiet-hours-dialog');
    await quiet.waitFor();
    expect(await quiet.getByTestId('quiet-schedule').textContent()).toMatch(/^Schedule for /);
    await quiet.getByTestId('quiet-send-now').click();
    await quiet.waitFor({ state: 'detached' });

    // Sent through the simulated carrier, with the request in the org's words; its signed callbacks bring the status to Delivered.
    const sent = message(page, `${reminder} Reply C to confirm or N to decline.`);
    await sent.and(page.locator('[data-status="delivered"]')).waitFor();
    expect(await sent.getByTestId('message-status').textContent()).toBe('Delivered');
    expect(await sent.getByTestId('confirmation-chip').textContent()).toBe('Awaiting C/N');
    expect(await page.getByTestId('composer-text').inputValue()).toBe('');

    // Demo mode: the patient confirms; the reply arrives through the live inbox and answers the request.
    await page.getByTestId('reply-as-patient-input').fill('C');
    await page.getByTestId('reply-as-patient-send').click();
    await message(page, 'C').waitFor();
    await sent.getByTestId('confirmation-chip').getByText('Confirmed').waitFor();
    // The acknowledgement goes out like any text; the phone log below counts it once it is Delivered.
    await message(page, "Thanks, you're confirmed. See you soon!").and(page.locator('[data-status="delivered"]')).waitFor();

    // A text from the patient's phone (the carrier's inbound webhook, not this page) shows up without a reload.
    await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
    await app.server.simulator!.simulateInbound({ from: PATIENT_E164, to: number.e164, body: 'Thanks, see you Tuesday' });
    const reply = message(page, 'Thanks, see you Tuesday');
    await reply.waitFor();
    expect(await reply.getAttribute('data-direction')).toBe('inbound');
    expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);
    const item = page.getByTestId('conversation-item').first();
    await item.getByTestId('conversation-preview').getByText('Thanks, see you Tuesday').waitFor();

    // PHI: the composer warns while typing, and a send asks first (offering Secure Chat).
    await page.getByTestId('composer-text').fill('Your lab results positive, please call us');
    expect(await text(page, 'phi-warning')).toContain('This text looks like it contains lab or test results.');
    await page.getByTestId('send-button').click();
    const phi = page.getByTestId('phi-dialog');
    await phi.waitFor();
    expect(await phi.getByTestId('phi-send-secure').isDisabled()).toBe(false);
    expect(await phi.locator('button').first().getAttribute('data-testid')).toBe('phi-send-secure');
    expect(await phi.getByTestId('phi-send-anyway').textContent()).toBe('Send as SMS anyway');
    await phi.getByRole('button', { name: 'Cancel' }).click();
    await phi.waitFor({ state: 'detached' });
    expect(await message(page, 'Your lab results positive, please call us').count()).toBe(0);

    // STOP: the patient opts out; the banner appears live and SMS closes with the reason; the
    // composer stays open on Secure Chat (the one way left to write to them).
    await page.getByTestId('reply-as-patient-input').fill('STOP');
    await page.getByTestId('reply-as-patient-send').click();
    await page.getByTestId('opted-out-banner').waitFor();
    expect(await text(page, 'opted-out-banner')).toContain(`replied STOP`);
    await item.getByTestId('conversation-opted-out').waitFor();
    const smsClosed = page.getByTestId('sms-unavailable');
    await smsClosed.waitFor();
    expect(await smsClosed.textContent()).toContain(`opted out by replying STOP to ${number.display}`);
    expect(await page.getByTestId('composer-channel-sms').isDisabled()).toBe(true);
    expect(await page.getByTestId('composer-channel-secure').getAttribute('aria-checked')).toBe('true');
    expect(await page.getByTestId('composer-text').isDisabled()).toBe(false);

    // The inbox scoped to the number's team still has the conversation; back to all my teams.
    await page.getByTestId('inbox-scope').selectOption({ label: `Front Desk · ${number.display}` });
    await page.waitForURL('**/inbox?team=*');
    await page.getByTestId('conversation-item').first().click();
    await page.waitForURL(/\/inbox\/[^?]+\?team=/);
    await page.getByTestId('opted-out-banner').waitFor();
    await page.getByTestId('inbox-scope').selectOption({ label: 'All my teams' });
    await page.waitForURL('**/inbox');
    await page.getByTestId('no-conversation-open').waitFor();
    await page.getByTestId('conversation-item').first().click();
    await page.getByTestId('conversation').waitFor();

    // The patient's profile has the whole history and the opt-out for this number.
    await page.getByTestId('conversation-patient-link').click();
    await page.getByTestId('patient-profile').waitFor();
    await page.getByTestId('patient-messages').getByTestId('thread').waitFor();
    // The reminder, the patient's C and the clinic's acknowledgement, the reply, STOP.
    expect(await page.getByTestId('patient-messages').getByTestId('message').count()).toBe(5);
    expect(await text(page, 'patient-opt-outs')).toContain(`Opted out of SMS from ${number.display}`);

    // Directory → Phone numbers → Export phone logs: the CSV has exactly the agreed columns.
    await page.getByTestId('nav-directory').click();
    await page.getByTestId('tab-numbers').click();
    const card = page.locator(`[data-testid="number-card"][data-e164="${number.e164}"]`);
    await card.waitFor();
    expect(await card.getByTestId('number-member').textContent()).toContain(dana.email);
    await card.getByTestId('export-phone-logs').click();
    const [download] = await Promise.all([page.waitForEvent('download'), card.getByTestId('phone-log-download').click()]);
    const csv = (await readFile((await download.path())!, 'utf8')).replace(/^\ufeff/, '');
    const [header, ...rows] = csv.split(/\r\n/).filter(Boolean);
    expect(header).toBe('Sent,From,To,First,Last,Dob,Email,Status,ErrorCode,ErrorMessage');
    // The reminder and the acknowledgement of the patient's C: every text the number sent.
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row).toMatch(new RegExp(`^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2} C[DS]T,\\${number.e164},\\${PATIENT_E164},,,,,Delivered,,$`));

    // START: the patient opts back in, and SMS opens again. (Until then the composer is open on
    // Secure Chat with SMS closed, as above; the closed composer only flashes while the
    // channels load, so it is not waited for.)
    await page.getByTestId('nav-inbox').click();
    await page.getByTestId('conversation-item').first().click();
    await page.getByTestId('sms-unavailable').waitFor();
    expect(await page.getByTestId('composer-channel-sms').isDisabled()).toBe(true);
    await page.getByTestId('reply-as-patient-input').fill('START');
    await page.getByTestId('reply-as-patient-send').click();
    await page.getByTestId('sms-unavailable').waitFor({ state: 'detached' });
    await page.locator('[data-testid="composer-channel-sms"]:not([disabled])').waitFor();
    expect(await page.getByTestId('composer-text').isDisabled()).toBe(false);
  });

  it('an open conversation follows a send to Delivered and a reply without reading the thread again or auditing another read', async () => {
    const kim = person('Kim Osei');
    const { page } = await openAs(browser, app);
    await signUp(page, kim);
    await createOrg(page, 'Lakeside Clinic', ORG_ZONE);
    await upgradeToSms(page);
    await createTeam(page, 'Front Desk');
    const number = await pickPhoneNumber(page, '415', 'Front Desk');
    const dialog = await startChatDialog(page, '(312) 555-7730');
    await dialog.locator('[data-testid="channel-sms"][data-available="true"]').waitFor();
    await dialog.getByTestId('start-conversation').click();
    await page.getByTestId('conversation').waitFor();

    // From here on: every read of a whole thread (conversations.get, batched or not) and of a
    // patient's history, and every audit entry of a conversation read.
    const reads: string[] = [];
    let listReads = 0;
    page.on('request', (request) => {
      const { pathname } = new URL(request.url());
      if (!pathname.startsWith('/trpc/')) return;
      for (const proc of pathname.slice('/trpc/'.length).split(',')) {
        if (proc === 'conversations.get' || proc === 'conversations.forPatient') reads.push(proc);
        if (proc === 'conversations.list') listReads++;
      }
    });
    const viewsAudited = () => app.server.db.prisma.auditEvent.count({ where: { action: 'conversation.viewed' } });
    const auditedBefore = await viewsAudited();

    const body = 'Your appointment is Friday at 9am.';
    await page.getByTestId('composer-text').fill(body);
    // A new organization's quiet hours are 20:00-08:00 (its zone): when the test runs inside
    // them, the composer asks first, and "Send now" sends.
    const hour = Number(orgClock(0).slice(0, 2));
    const quietNow = hour >= 20 || hour < 8;
    await page.getByTestId('send-button').click();
    if (quietNow) {
      const quiet = page.getByTestId('quiet-hours-dialog');
      await quiet.getByTestId('quiet-send-now').click();
      await quiet.waitFor({ state: 'detached' });
    }
    const sent = message(page, body);
    await sent.and(page.locator('[data-status="delivered"]')).waitFor();
    await app.server.simulator!.simulateInbound({ from: '+13125557730', to: number.e164, body: 'Thank you!' });
    await message(page, 'Thank you!').waitFor();
    await page.getByTestId('conversation-item').first().getByTestId('conversation-preview').getByText('Thank you!').waitFor();

    expect(await message(page, body).count()).toBe(1);
    console.log(`[live updates] during one SMS delivery and one reply: thread reads ${reads.length}, list reads ${listReads}, conversation.viewed audit entries ${(await viewsAudited()) - auditedBefore}`);
    expect(reads).toEqual([]);
    expect((await viewsAudited()) - auditedBefore).toBe(0);
  });
});
