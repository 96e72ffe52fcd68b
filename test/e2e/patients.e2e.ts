import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openAs, type RunningApp, startApp } from './harness';
import { createOrg, openPatients, patientRow, person, signUp, uploadPatientsCsv } from './steps';

let app: RunningApp;
let browser: Browser;
let dir: string;

beforeAll(async () => {
  app = await startApp();
  browser = await launchBrowser();
  dir = await mkdtemp(path.join(tmpdir(), 'caretext-e2e-csv-'));
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const text = async (page: Page, testId: string) => (await page.getByTestId(testId).textContent())?.trim();

/**
 * The product docs' seed sheet (line 4 is missing its MRN, line 5 has an email in the name
 * column, lines 2-3 have an email under no header), a row for the patient created by hand
 * (adds a DOB), then 200 valid rows in mixed phone formats so the import has some length.
 */
function clinicCsv(): string {
  const first = ['Maya', 'Noah', 'Olivia', 'Liam', 'Emma', 'Elijah', 'Ava', 'Lucas', 'Sofia', 'Mateo'];
  const last = ['Garcia', 'Nguyen', 'Kim', 'Okafor', 'Rossi', 'Cohen', 'Haddad', 'Silva', 'Novak', 'Tanaka', 'Brown', 'Ali', 'Moreau', 'Jensen', 'Das', 'Reyes', 'Park', 'Walsh', 'Ito', 'Mensah'];
  const generated = Array.from({ length: 200 }, (_, i) => {
    const line = String(1000 + i);
    const phone = [`(312) 555-${line}`, `312.555.${line}`, `+1 312 555 ${line}`, `312555${line}`][i % 4];
    const dob = `${1950 + (i % 50)}-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`;
    return `${phone},GEN-${line},${first[i % 10]},${last[Math.floor(i / 10) % 20]},${dob}`;
  });
  return [
    'phone,mrn,first_name,last_name,dob',
    '(555) 123-4567,MRN-0001,Amina,Patel,1985-03-14,amina@example.com',
    '(555) 234-5678,MRN-0002,Jordan,Lee,1990-07-22,jordan@example.com',
    '(555) 345-6789,John,Smith,,',
    '(555) 456-7890,MRN-0004,cora@example.com',
    '555.987.6543,MRN-0100,Riley,Chen,1979-11-02',
    ...generated,
  ].join('\n');
}

/** Every value the progress bar shows from now on, to check it only moves forward. */
async function recordProgress(page: Page): Promise<() => Promise<number[]>> {
  await page.evaluate(() => {
    const seen: number[] = [];
    (window as unknown as { progressSeen: number[] }).progressSeen = seen;
    const note = () => {
      const bar = document.querySelector('[data-testid="import-progress"]');
      const value = bar ? Number(bar.getAttribute('aria-valuenow')) : null;
      if (value !== null && seen[seen.length - 1] !== value) seen.push(value);
    };
    new MutationObserver(note).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-valuenow'] });
  });
  return () => page.evaluate(() => (window as unknown as { progressSeen: number[] }).progressSeen);
}

describe('Patient directory and CSV import in the browser', () => {
  it('starts empty, takes a patient by hand, imports the seed CSV after a dry run, and finds an imported patient by a phone typed another way', async () => {
    const dana = person('Dana Reyes');
    const { page } = await openAs(browser, app);
    await signUp(page, dana);
    await createOrg(page, 'Sunrise Family Clinic');

    // Directory → Patients: nothing yet, and the page says how patients get in.
    await openPatients(page);
    const empty = page.getByTestId('patients-empty');
    await empty.waitFor();
    expect(await empty.textContent()).toMatch(/Create new\..*Import a CSV\..*From a conversation\./s);

    // Directory → Patients → Create new. The server's complaint about the phone shows beside it.
    await page.getByTestId('create-patient-button').click();
    await page.getByTestId('patient-form').waitFor();
    await page.fill('#patient-phone', '555-12');
    await page.fill('#patient-firstName', 'Riley');
    await page.fill('#patient-lastName', 'Chen');
    await page.getByTestId('patient-save').click();
    expect(await text(page, 'error-patient-phone')).toBe('"555-12" is not a valid phone number');

    await page.fill('#patient-phone', '(555) 987-6543');
    await page.fill('#patient-mrn', 'MRN-0100');
    await page.fill('#patient-email', 'riley@example.com');
    await page.getByTestId('patient-smsTransactionalOptIn').check();
    await page.getByTestId('consent-source').getByLabel('On an intake form').check();
    await page.getByTestId('patient-save').click();
    await page.getByTestId('patient-profile').waitFor();
    expect(await text(page, 'patient-name')).toBe('Riley Chen');
    expect(await text(page, 'detail-phone')).toContain('(555) 987-6543');
    const consent = page.getByTestId('consent-event').first();
    expect(await consent.textContent()).toContain('Agreed to SMS reminders and care updates');
    expect(await consent.textContent()).toContain(`on an intake form · by ${dana.name}`);

    // Import: the dry run reports before anything is written.
    const csv = path.join(dir, 'sunrise-patients.csv');
    await writeFile(csv, clinicCsv());
    await uploadPatientsCsv(page, csv);
    // A reload resumes the same import (its address names it).
    await page.reload();
    await page.getByTestId('dry-run-report').waitFor();
    expect(await text(page, 'will-create')).toBe('202');
    expect(await text(page, 'will-update')).toBe('1');
    expect(await text(page, 'unchanged')).toBe('0');
    expect(await text(page, 'rejected')).toBe('2');
    expect(await page.getByTestId('previous-import').count()).toBe(0);

    const line4 = page.locator('[data-testid="issue-row"][data-line="4"]');
    expect(await line4.getAttribute('data-severity')).toBe('error');
    expect(await line4.getByTestId('issue-message').textContent()).toBe('mrn "John" looks like a name: is a column missing or shifted in this row?');
    expect(await page.locator('[data-testid="issue-row"][data-line="5"]').textContent()).toContain('first_name "cora@example.com" looks like an email');
    expect(await page.locator('[data-testid="issue-row"][data-line="2"]').textContent()).toContain('Column 6 has no header; it holds an email ("amina@example.com")');
    expect(await page.getByTestId('download-report').getAttribute('href')).toMatch(/^\/api\/imports\/.+\/report\.csv$/);

    // Confirm, and watch the progress bar to the end.
    const progressSeen = await recordProgress(page);
    expect(await text(page, 'confirm-import')).toBe('Import 203 patients');
    await page.getByTestId('confirm-import').click();
    await page.getByTestId('import-complete').waitFor();
    expect(await page.getByTestId('import-progress').getAttribute('aria-valuenow')).toBe('100');
    expect(await text(page, 'import-progress-text')).toBe('205 of 205 rows100%');
    const seen = await progressSeen();
    expect(seen[seen.length - 1]).toBe(100);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(await text(page, 'applied-created')).toBe('202');
    expect(await text(page, 'applied-updated')).toBe('1');
    expect(await text(page, 'applied-rejected')).toBe('2');

    // The list has everyone, a page at a time; a phone typed another way finds Jordan Lee.
    await page.getByTestId('view-patients').click();
    await page.getByTestId('patients-table').waitFor();
    expect(await text(page, 'patients-pager-range')).toBe('1–25 of 203 patients');
    await page.fill('#patient-search', '555.234.5678');
    await page.waitForURL('**/directory/patients?q=555.234.5678');
    await page.getByTestId('patients-pager-range').filter({ hasText: '1 patient' }).waitFor();
    const jordan = patientRow(page, 'Jordan Lee');
    expect(await jordan.getByTestId('patient-phone').textContent()).toBe('(555) 234-5678');
    await jordan.getByTestId('patient-link').click();
    await page.getByTestId('patient-profile').waitFor();
    expect(await text(page, 'patient-name')).toBe('Jordan Lee');
    expect(await text(page, 'detail-mrn')).toBe('MRN-0002');
    expect(await text(page, 'messages-empty')).toContain('No messages yet');

    // The same file again: the report says when it was imported and by whom, and creates nobody.
    await uploadPatientsCsv(page, csv);
    expect(await text(page, 'previous-import')).toMatch(new RegExp(`^This file was imported on .+ by ${dana.name}`));
    expect(await text(page, 'will-create')).toBe('0');
    expect(await text(page, 'will-update')).toBe('0');
    expect(await text(page, 'unchanged')).toBe('203');
    await page.getByTestId('cancel-import').click();
    await page.waitForURL('**/directory/patients/import');
    await page.locator('[data-testid="recent-import"][data-status="cancelled"]').waitFor();
    expect(await page.locator('[data-testid="recent-import"][data-status="completed"]').count()).toBe(1);
  });
});
