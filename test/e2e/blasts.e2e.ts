import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openAs, type RunningApp, startApp } from './harness';
import { createOrg, createTeam, person, pickPhoneNumber, setQuietHours, signUp, trpc, upgradeToSms } from './steps';

/** BLAST_SCREENSHOTS=<dir>: also save the Blasts list (empty, filled), wizard and detail there (docs/screenshots). */
const shots = process.env.BLAST_SCREENSHOTS;
const ORG_ZONE = 'America/Chicago';
/** A real PNG for the MMS image (the extension's icon, read only). */
const PNG = readFileSync(new URL('../../extension/public/icons/icon-128.png', import.meta.url));

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

/** HH:MM in the org's time zone, `hours` from now (quiet hours are put out of the way). */
function orgClock(hours: number): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: ORG_ZONE, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(Date.now() + hours * 3_600_000));
}
const text = async (page: Page, testId: string) => (await page.getByTestId(testId).textContent())?.trim();
const stat = (page: Page, name: string) => page.getByTestId(`stat-${name}`).locator('.blast-card-value');
const expectStat = (page: Page, name: string, value: string) => expect.poll(async () => (await stat(page, name).textContent())?.trim(), { timeout: 30_000 }).toBe(value);

describe('Comms → Blasts', () => {
  it('composes a blast with a token and an image, reads the preview, sends it, watches it deliver, retries the failed one, adds a recipient, duplicates it', async () => {
    const { page } = await openAs(browser, app);
    await signUp(page, person('Blast Admin'));
    await createOrg(page, 'Blast Clinic', ORG_ZONE);
    await upgradeToSms(page);
    await createTeam(page, 'Front Desk');
    await pickPhoneNumber(page, '415', 'Front Desk');
    await setQuietHours(page, orgClock(3), orgClock(4));

    await page.getByTestId('nav-comms').click();
    await page.getByTestId('tab-blasts').click();
    await page.waitForURL('**/comms/blasts');
    await page.getByTestId('blasts-empty').waitFor();
    if (shots) await page.screenshot({ path: `${shots}/blasts-empty.png` });

    // Ann receives it; Ben's phone is unreachable (the simulator fails numbers ending 0003); Cara has no phone.
    const patient = (input: Record<string, unknown>) => trpc<{ id: string }>(page, 'patients.create', { tags: ['flu'], ...input });
    await patient({ firstName: 'Ann', lastName: 'Avery', phone: '(415) 555-0141' });
    const ben = await patient({ firstName: 'Ben', lastName: 'Brooks', phone: '(415) 555-0003' });
    await patient({ firstName: 'Cara', lastName: 'Cole' });
    await patient({ firstName: 'Dan', lastName: 'Drake', phone: '(415) 555-0144', tags: [] });
    await trpc(page, 'cohorts.create', { name: 'Flu shots', filter: { tags: ['flu'] } });

    await page.getByTestId('new-blast-empty').click();
    await page.waitForURL('**/comms/blasts/new');
    await page.fill('[data-testid="blast-name"]', 'Flu shot reminder');
    await page.locator('[data-testid="blast-cohort"][data-name="Flu shots"]').check();
    expect(await page.getByTestId('blast-channel-email').isDisabled()).toBe(true);
    await page.getByTestId('blast-next').click();

    // Typing @ offers the tokens; Enter takes the highlighted one.
    const body = page.getByTestId('blast-body');
    await body.click();
    await body.pressSequentially('Hi @fir');
    await page.getByTestId('token-option-first_name').waitFor();
    if (shots) {
      // The whole menu, as it opens on a bare @.
      for (let i = 0; i < 3; i++) await body.press('Backspace');
      await page.getByTestId('token-option-org_name').waitFor();
      await page.screenshot({ path: `${shots}/blast-tokens.png` });
      await body.pressSequentially('fir');
    }
    expect(await page.getByTestId('token-menu').getByRole('option').allTextContents()).toEqual(['First name Maria']);
    await body.press('Enter');
    await body.pressSequentially(', flu shots are in at @organ');
    await page.getByTestId('token-option-org_name').click();
    expect(await body.inputValue()).toBe('Hi {{first_name}}, flu shots are in at {{org_name}}');
    await body.fill('Hi {{first_name}}, flu shots are in at {{org_name}}. Walk in any weekday.');
    expect(await text(page, 'blast-sample')).toContain('Hi Maria, flu shots are in at Blast Clinic. Walk in any weekday.');
    expect(await text(page, 'blast-counter')).toContain('1 segment · GSM-7');

    await expect.poll(() => text(page, 'preview-willSend'), { timeout: 15_000 }).toBe('Will send2');
    expect(await text(page, 'preview-noContactInfo')).toBe('No contact info1');
    expect(await text(page, 'blast-cost')).toBe('$0.02');
    // An image makes it MMS: priced per message, shown under the sample, sent with every message.
    await page.getByTestId('blast-image-input').setInputFiles({ name: 'flu-flyer.png', mimeType: 'image/png', buffer: PNG });
    await page.getByTestId('blast-sample-images').locator('img').waitFor();
    expect(await text(page, 'blast-counter')).toContain('MMS with 1 image');
    expect(await text(page, 'blast-cost')).toBe('$0.04');
    if (shots) await page.screenshot({ path: `${shots}/blast-wizard.png`, fullPage: true });

    await page.getByTestId('blast-send').dblclick();
    await page.waitForURL(/\/comms\/blasts\/[^/]+$/);
    expect(await text(page, 'blast-title')).toBe('Flu shot reminder');
    await expectStat(page, 'total', '3');
    await expectStat(page, 'skipped', '1');
    await expectStat(page, 'sent', '1');
    await expectStat(page, 'failed', '1');
    await expect.poll(() => text(page, 'blast-detail-status'), { timeout: 30_000 }).toBe('Completed');
    expect(await text(page, 'blast-low-delivery')).toContain('Only 50% of messages were sent successfully');

    // The Failed card filters the table to Ben, with the carrier's error.
    await page.getByTestId('stat-failed').click();
    await expect.poll(() => page.getByTestId('recipient-row').count()).toBe(1);
    expect(await page.getByTestId('recipient-row').textContent()).toContain('Ben Brooks');
    expect(await page.getByTestId('recipient-row').textContent()).toContain('30003');
    if (shots) await page.screenshot({ path: `${shots}/blast-detail.png`, fullPage: true });

    // Ben has a new number: Retry Failed sends to him again, and only to him.
    await trpc(page, 'patients.update', { patientId: ben.id, phone: '(415) 555-0143' });
    await page.getByTestId('blast-retry').click();
    await page.getByTestId('notice').filter({ hasText: 'Retrying 1 failed message.' }).waitFor();
    await expectStat(page, 'sent', '2');
    await expectStat(page, 'failed', '0');
    await expect.poll(async () => page.getByTestId('blast-low-delivery').count(), { timeout: 30_000 }).toBe(0);

    // Add Recipients: Dan joins; Ann is already in the blast and is not sent to again.
    await page.getByTestId('blast-add').click();
    const dialog = page.getByTestId('add-recipients');
    await dialog.getByTestId('add-recipients-search').fill('Drake');
    await dialog.locator('[data-testid="add-recipients-pick"][data-name="Dan Drake"]').check();
    await dialog.getByTestId('add-recipients-search').fill('Avery');
    await dialog.locator('[data-testid="add-recipients-pick"][data-name="Ann Avery"]').check();
    expect(await text(page, 'add-recipients-send')).toBe('Send to 2 patients');
    await dialog.getByTestId('add-recipients-send').click();
    expect(await text(page, 'add-recipients-already')).toContain('Ann Avery');
    await dialog.getByTestId('add-recipients-done').click();
    await page.getByTestId('stat-total').click();
    await expectStat(page, 'total', '4');
    await expectStat(page, 'sent', '3');

    // The list shows it; Duplicate opens the wizard pre-filled.
    await page.goto('/comms/blasts');
    const row = page.locator('[data-testid="blast-row"][data-name="Flu shot reminder"]');
    await row.waitFor();
    expect(await page.getByTestId('blast-row').count()).toBe(1);
    expect(await row.getByTestId('blast-sent-total').textContent()).toBe('3 / 4');
    if (shots) await page.screenshot({ path: `${shots}/blasts-list.png` });
    await row.getByTestId('blast-duplicate').click();
    await page.waitForURL('**/comms/blasts/new?from=*');
    expect(await page.getByTestId('blast-name').inputValue()).toBe('Copy of Flu shot reminder');
    expect(await page.locator('[data-testid="blast-cohort"][data-name="Flu shots"]').isChecked()).toBe(true);
    await page.getByTestId('blast-next').click();
    expect(await page.getByTestId('blast-body').inputValue()).toBe('Hi {{first_name}}, flu shots are in at {{org_name}}. Walk in any weekday.');
    expect(await page.getByTestId('blast-image').locator('img').getAttribute('alt')).toBe('flu-flyer.png');
  });
});
