import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openAs, type RunningApp, startApp } from './harness';
import { createOrg, person, signUp, uploadPatientsCsv } from './steps';

/** COHORT_SCREENSHOTS=<dir>: also save the Cohorts list and editor there (docs/screenshots). */
const shots = process.env.COHORT_SCREENSHOTS;

let app: RunningApp;
let browser: Browser;
let dir: string;

beforeAll(async () => {
  app = await startApp();
  browser = await launchBrowser();
  dir = await mkdtemp(path.join(tmpdir(), 'caretext-e2e-cohorts-'));
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const CSV = [
  'phone,mrn,first_name,last_name,dob,email,tags,location,provider',
  '(312) 555-0101,C-1,Amina,Patel,1958-03-14,amina@example.com,diabetes;spanish,Downtown,Dr. Lee',
  '(312) 555-0102,C-2,Jordan,Lee,1990-07-22,,diabetes,Downtown,Dr. Kim',
  '(312) 555-0103,C-3,Riley,Chen,1972-11-02,riley@example.com,asthma,Uptown,Dr. Lee',
  '(312) 555-0104,C-4,Maya,Garcia,2001-05-30,,spanish,Uptown,Dr. Kim',
  '(312) 555-0105,C-5,Noah,Okafor,1949-01-09,noah@example.com,diabetes,Downtown,Dr. Lee',
  '(312) 555-0106,C-6,Olivia,Rossi,1985-09-17,olivia@example.com,,Lakeside,Dr. Ortiz',
].join('\n');

/** The big number beside the filters, once the debounced count for the current filters is in. */
async function liveCount(page: Page): Promise<string> {
  await page.locator('[data-testid="cohort-live-count"][aria-busy="false"]').waitFor();
  return (await page.getByTestId('cohort-live-count').textContent())!.trim();
}
const expectCount = async (page: Page, count: string) => expect.poll(() => liveCount(page), { timeout: 15_000 }).toBe(count);
const previewNames = (page: Page) => page.getByTestId('cohort-preview-row').locator('td:first-child').allTextContents();

describe('Comms → Cohorts', () => {
  it('an admin builds a cohort with a live count and preview, sees errors, and saves it', async () => {
    const { page } = await openAs(browser, app);
    await signUp(page, person('Cohort Admin'));
    await createOrg(page, 'Cohort Clinic');

    await page.getByTestId('nav-comms').click();
    await page.waitForURL('**/comms/cohorts');
    await page.getByTestId('cohorts-empty').waitFor();
    if (shots) await page.screenshot({ path: `${shots}/cohorts-empty.png` });

    const file = path.join(dir, 'cohort-patients.csv');
    await writeFile(file, CSV);
    await uploadPatientsCsv(page, file);
    await page.getByTestId('confirm-import').click();
    await page.getByTestId('import-complete').waitFor();

    await page.goto('/comms/cohorts');
    await page.getByTestId('new-cohort').click();
    await page.waitForURL('**/comms/cohorts/new');
    await expectCount(page, '6');

    await page.getByTestId('filter-locations').locator('[data-value="Downtown"]').click();
    await expectCount(page, '3');
    expect(await previewNames(page)).toEqual(['Jordan Lee', 'Noah Okafor', 'Amina Patel']);

    await page.getByTestId('filter-tags').locator('[data-value="diabetes"]').click();
    await page.getByTestId('filter-tags').locator('[data-value="spanish"]').click();
    await page.selectOption('[data-testid="filter-tag-match"]', 'all');
    await expectCount(page, '1');

    await page.selectOption('[data-testid="filter-tag-match"]', 'any');
    await page.fill('#filter-age-min', '60');
    await page.fill('#filter-age-max', '40');
    await page.getByTestId('error-filter-age-max').filter({ hasText: 'The highest age is below the lowest.' }).waitFor();
    expect(await page.getByTestId('cohort-live-count').textContent()).toBe('—');
    await page.fill('#filter-age-max', '');
    await expectCount(page, '2');
    expect(await previewNames(page)).toEqual(['Noah Okafor', 'Amina Patel']);

    await page.selectOption('[data-testid="filter-has-email"]', 'yes');
    await page.getByText('Consent', { exact: true }).click();
    await page.selectOption('[data-testid="filter-consent-optedOut"]', 'no');
    await expectCount(page, '2');
    await page.fill('#cohort-name', 'Diabetes 60+ Downtown');
    if (shots) await page.screenshot({ path: `${shots}/cohort-editor.png`, fullPage: true });
    await page.getByTestId('cohort-save').click();
    await page.waitForURL('**/comms/cohorts');
    const row = page.locator('[data-testid="cohort-row"][data-name="Diabetes 60+ Downtown"]');
    expect(await row.getByTestId('cohort-count').textContent()).toBe('2');
    if (shots) await page.screenshot({ path: `${shots}/cohorts-list.png` });

    // The same name again: the server's refusal shows on the name field.
    await page.getByTestId('new-cohort').click();
    await expectCount(page, '6');
    await page.fill('#cohort-name', 'Diabetes 60+ Downtown');
    await page.getByTestId('cohort-save').click();
    await page.getByTestId('error-cohort-name').filter({ hasText: 'already exists' }).waitFor();

    // Reopening the saved cohort shows its filters and count.
    await page.goto('/comms/cohorts');
    await row.getByRole('link').click();
    await expectCount(page, '2');
    expect(await page.getByTestId('filter-locations').locator('[data-value="Downtown"]').getAttribute('aria-pressed')).toBe('true');
    expect(await page.inputValue('#filter-age-min')).toBe('60');
  });
});
