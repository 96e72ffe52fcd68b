import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { launchBrowser, openAs, type RunningApp, startApp } from './harness';
import { createOrg, createTeam, person, pickPhoneNumber, signUp, upgradeToSms } from './steps';

/**
 * Over HTTP/1.1 (`pnpm start`, or a proxy without HTTP/2) a browser keeps at most 6 connections
 * per server for all its tabs, and each live stream holds one for as long as it is open. An
 * Inbox tab used to hold three (the org's events, the inbox's, the blasts' bulk changes): with
 * two Inbox tabs open, a third tab of the app could not load at all. Now an Inbox tab holds two
 * (hidden tabs give theirs back after a minute: web/src/lib/visibility.ts).
 */

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

describe('several tabs of the web app', () => {
  it('with two Inbox tabs open, a third tab still loads and shows the numbers', async () => {
    const { context, page } = await openAs(browser, app);
    await signUp(page, person('Tab Tester'));
    await createOrg(page, 'Tabs Clinic');
    await upgradeToSms(page);
    await createTeam(page, 'Front Desk');
    await pickPhoneNumber(page, '415', 'Front Desk');
    await page.goto('/inbox');
    await page.getByTestId('inbox-empty').waitFor();
    const second = await context.newPage();
    await second.goto('/inbox');
    await second.getByTestId('inbox-empty').waitFor();
    const third = await context.newPage();
    await third.goto('/settings/plan');
    await third.getByTestId('owned-number').waitFor({ timeout: 15_000 });
  });
});
