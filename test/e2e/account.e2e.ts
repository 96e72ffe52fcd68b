import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openAs, type RunningApp, startApp } from './harness';
import { createOrg, person, signUp } from './steps';

/** ACCOUNT_SCREENSHOTS=<dir>: also save the My account tab there (docs/screenshots). */
const shots = process.env.ACCOUNT_SCREENSHOTS;

let app: RunningApp;
let browser: Browser;

beforeAll(async () => {
  app = await startApp();
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

describe('Settings → My account', () => {
  it('sets my own mobile number for Send Test to Me, refusing what is not a phone', async () => {
    const { page } = await openAs(browser, app);
    await signUp(page, person('Phone Owner'));
    await createOrg(page, 'Phone Clinic');
    await page.goto(`${app.url}/settings/account`);
    await page.getByTestId('my-phone-input').waitFor();
    expect(await page.getByTestId('my-phone-input').inputValue()).toBe('');

    await page.getByTestId('my-phone-input').fill('call me maybe');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByTestId('my-account-tab').textContent(), { timeout: 15_000 }).toContain('Enter a mobile number');

    await page.getByTestId('my-phone-input').fill('415 555 0134');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByTestId('my-account-tab').textContent(), { timeout: 15_000 }).toContain('Saved: (415) 555-0134');
    if (shots) await page.screenshot({ path: `${shots}/my-account-phone.png` });
    await page.reload();
    await expect.poll(() => page.getByTestId('my-phone-input').inputValue(), { timeout: 15_000 }).toBe('(415) 555-0134');
  }, 180_000);
});
