import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allowSiteInChromeSettings,
  type Clinic,
  type ExtensionBrowser,
  type FixtureServer,
  gateTo,
  launchWithExtension,
  type ServerGate,
  serveFixtures,
  sidebarFrame,
  signInFromPopup,
  smsClinic,
} from './extension-harness';
import { launchBrowser, type RunningApp, startApp } from './harness';

/**
 * The Chrome extension in Debian Chromium: signed in from its popup, reading the patient from
 * EHR pages (OpenEMR, a generic clinic page, a single-page EHR, an admin-defined adapter),
 * texting through the real server and its simulated carrier, live replies, the offline outbox
 * and untrusted page text.
 */

let app: RunningApp;
let gate: ServerGate;
let fixtures: FixtureServer;
let clinic: Clinic;
let ext: ExtensionBrowser;
let clinicNumber: string;

const PHIL = '+14155550142';
/** EXTENSION_SCREENSHOTS=<dir>: also save the sidebar's blast views there (docs/screenshots). */
const shots = process.env.EXTENSION_SCREENSHOTS;
const MARIA = '+14155550177';

beforeAll(async () => {
  app = await startApp();
  // The extension talks to the server through a gate the offline test can cut.
  gate = await gateTo(app.url);
  fixtures = await serveFixtures();
  clinic = await smsClinic(app.url, {
    phil: { firstName: 'Phil', lastName: 'Lopez', mrn: 'OE-1042', phone: PHIL, dob: '1972-02-09' },
    maria: { firstName: 'Maria', lastName: 'Garcia', phone: '(415) 555-0177', dob: '1985-03-14' },
    ana: { firstName: 'Ana', lastName: 'Silva', mrn: 'SPA-001', phone: '(415) 555-0121', dob: '1990-05-21' },
    ben: { firstName: 'Ben', lastName: 'Okafor', mrn: 'SPA-002', phone: '(415) 555-0122', dob: '1968-11-02' },
  });
  // An admin publishes an adapter for their EHR in the web app; the extension syncs it at sign-in.
  await clinic.api.mutate('ehrAdapters.save', {
    name: 'AcmeChart',
    urlPattern: 'http://127.0.0.1/custom/patient/*',
    selectors: { firstName: '.pt-given', lastName: '.pt-family', dob: '.pt-bd', phone: '.pt-tel', mrn: '.pt-chart' },
    published: true,
  });
  clinicNumber = app.server.simulator!.numbers()[0]!.phoneNumber;
  ext = await launchWithExtension();
  // Starting the server, Chromium and signing in take long on a busy machine.
}, 180_000);

afterAll(async () => {
  await ext?.close();
  await fixtures?.close();
  await gate?.close();
  await app?.close();
});

const ui = sidebarFrame;
/** The extension reaches the server (through the gate) as localhost; the EHR fixtures are on 127.0.0.1. */
const serverUrl = () => gate.url.replace('127.0.0.1', 'localhost');
const sidebar = (page: Page) => ui(page).getByTestId('ehr-sidebar');
const text = async (l: Locator) => (await l.textContent())?.trim() ?? '';
const sentTo = (to: string, body: string) => app.server.simulator!.messages().filter((m) => m.to === to && m.body === body);

async function until<T>(probe: () => T | Promise<T>, what: string, attempts = 150): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const value = await probe();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function openEhr(path: string): Promise<Page> {
  const page = await ext.context.newPage();
  await page.goto(fixtures.url + path);
  await sidebar(page).waitFor();
  return page;
}

async function send(page: Page, body: string) {
  await ui(page).getByTestId('composer-text').fill(body);
  await ui(page).getByTestId('send-button').click();
}

describe('CareText Chrome extension', () => {
  it('signs in from the popup and is allowed on the approved EHR origin only; the token stays out of storage content scripts can read', async () => {
    // Before sign-in the extension has no host access at all, so it runs on no page.
    type Permissions = { chrome: { permissions: { getAll(): Promise<{ origins?: string[] }> } } };
    expect((await ext.worker.evaluate(() => (globalThis as unknown as Permissions).chrome.permissions.getAll())).origins ?? []).toEqual([]);
    // The server is reached as localhost, the EHR is on 127.0.0.1: two separate grants.
    await allowSiteInChromeSettings(ext, 'http://localhost/*');
    await allowSiteInChromeSettings(ext, 'http://127.0.0.1/*');
    const popup = await signInFromPopup(ext, serverUrl(), clinic.email, clinic.password);
    expect(await text(popup.getByTestId('popup-org-name'))).toBe('Riverside Family Clinic');
    expect(await popup.getByTestId('popup-origin').allTextContents()).toEqual(['http://127.0.0.1/* allowed', 'http://127.0.0.1/custom/patient/* allowed']);
    expect((await ext.worker.evaluate(() => (globalThis as unknown as Permissions).chrome.permissions.getAll())).origins?.sort()).toEqual(['http://127.0.0.1/*', 'http://localhost/*']);

    type ChromeStorage = { chrome: { storage: { local: { get(keys: null): Promise<Record<string, unknown>> } } } };
    const local = await ext.worker.evaluate(() => (globalThis as unknown as ChromeStorage).chrome.storage.local.get(null));
    expect(JSON.stringify(local)).not.toContain('"token"');
    expect(local.serverOrigin).toBe(serverUrl());
    expect((local.ehrAdapters as { name: string }[]).map((a) => a.name)).toEqual(['AcmeChart']);
    expect(local.ehrOrigins).toEqual(['http://127.0.0.1/*', 'http://127.0.0.1/custom/patient/*']);
    await popup.close();
  });

  it('OpenEMR dashboard: reads the patient (not the emergency contact), texts them, shows the reply live and counts it on the toggle while hidden', async () => {
    const page = await openEhr('/openemr/interface/patient_file/summary/demographics.php?set_pid=7');
    const bar = sidebar(page);
    expect(await text(bar.getByTestId('patient-name'))).toBe('Phil Lopez');
    expect(await text(bar.getByTestId('matched-by'))).toBe('Matched to this page by MRN.');
    await expect.poll(() => text(bar.getByTestId('consent'))).toContain('Can receive SMS');
    expect(await text(bar.getByTestId('channel-secure'))).toBe('🔒 Secure Chat');
    expect(await bar.getByTestId('channel-sms').getAttribute('aria-pressed')).toBe('true');

    await ui(page).getByTestId('composer-text').fill('Hi Phil, your appointment is confirmed for Tuesday at 9:30.');
    expect(await text(ui(page).getByTestId('composer-counter'))).toMatch(/^59 \/ 160 · 1 segment · GSM-7/);
    await ui(page).getByTestId('send-button').click();
    const outbound = bar.getByTestId('message').filter({ hasText: 'your appointment is confirmed' });
    await outbound.waitFor();
    await until(() => sentTo(PHIL, 'Hi Phil, your appointment is confirmed for Tuesday at 9:30.').length === 1, 'the SMS to reach the simulator');
    // Statuses move live: queued -> sent -> delivered, pushed by the server, no reload.
    await until(async () => (await outbound.getAttribute('data-status')) === 'delivered', 'the delivered status');

    await app.server.simulator!.simulateInbound({ from: PHIL, to: clinicNumber, body: 'Thanks, see you then!' });
    await bar.getByTestId('message').filter({ hasText: 'Thanks, see you then!' }).waitFor();

    // Hidden sidebar: a reply lights the badge on the toggle tab; opening clears it.
    await ui(page).getByTestId('sidebar-close').click();
    await bar.waitFor({ state: 'hidden' });
    await app.server.simulator!.simulateInbound({ from: PHIL, to: clinicNumber, body: 'Also, can I bring my son?' });
    await until(async () => (await ui(page).getByTestId('unread-badge').count()) === 1 && (await text(ui(page).getByTestId('unread-badge'))) === '1', 'the unread badge');
    await ui(page).getByTestId('ehr-toggle').click();
    await bar.getByTestId('message').filter({ hasText: 'Also, can I bring my son?' }).waitFor();
    expect(await ui(page).getByTestId('unread-badge').count()).toBe(0);
    await page.close();
  });

  it('OpenEMR’s tabbed shell: the dashboard iframe reports the patient, the sidebar shows on the top page only', async () => {
    const page = await openEhr('/openemr/interface/main/tabs/main.php');
    expect(await text(sidebar(page).getByTestId('patient-name'))).toBe('Phil Lopez');
    const dashboard = page.frame({ name: 'pat' })!;
    expect(await dashboard.evaluate(() => Boolean(document.getElementById('caretext-sidebar-host')))).toBe(false);
    expect(await page.evaluate(() => Boolean(document.getElementById('caretext-sidebar-host')))).toBe(true);
    // The chart in the frame changes patient: the sidebar follows.
    await dashboard.goto(`${fixtures.url}/spa/patients/2`);
    await until(async () => (await text(sidebar(page).getByTestId('patient-name'))) === 'Ben Okafor', 'the sidebar to follow the frame');
    await page.close();
  });

  it('generic clinic page: reads labelled fields and matches by phone', async () => {
    const page = await openEhr('/clinic/chart.html');
    const bar = sidebar(page);
    expect(await text(bar.getByTestId('patient-name'))).toBe('Maria Garcia');
    expect(await text(bar.getByTestId('matched-by'))).toBe('Matched to this page by phone number.');
    // The page's own aggressive styles (dashed red borders on aside/section/button) do not reach in.
    const border = await bar.evaluate((el) => getComputedStyle(el).borderLeftStyle);
    expect(border).toBe('solid');
    await page.close();
  });

  it('single-page EHR: the sidebar follows the patient on screen without a reload, and creates one CareText does not know', async () => {
    const page = await openEhr('/spa/patients/1');
    const bar = sidebar(page);
    await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));
    expect(await text(bar.getByTestId('patient-name'))).toBe('Ana Silva');

    await page.locator('#patient-list a', { hasText: 'Ben Okafor' }).click();
    await until(async () => (await text(bar.getByTestId('patient-name'))) === 'Ben Okafor', 'the sidebar to follow to Ben');
    await page.locator('#patient-list a', { hasText: 'Chen Wei' }).click();
    await bar.getByTestId('no-match').waitFor();
    expect(await text(bar.getByTestId('page-patient-name'))).toBe('Chen Wei');
    await bar.getByTestId('create-patient').click();
    await until(async () => (await bar.getByTestId('patient-name').count()) === 1 && (await text(bar.getByTestId('patient-name'))) === 'Chen Wei', 'the created patient');

    await page.goBack();
    await until(async () => (await text(bar.getByTestId('patient-name'))) === 'Ben Okafor', 'the sidebar to follow back to Ben');
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
    const created = await clinic.api.query<{ patient: { mrn: string; phone: string; dob: string } | null }>('patients.match', { mrn: 'SPA-003' });
    expect(created.patient).toMatchObject({ mrn: 'SPA-003', phone: '+14155550123', dob: '2001-01-30' });
    await page.close();
  });

  it('keeps a draft per patient across a reload of the EHR page', async () => {
    const page = await openEhr('/clinic/chart.html');
    await ui(page).getByTestId('composer-text').fill('Hi Maria, about your visit next wee');
    await new Promise((r) => setTimeout(r, 700)); // drafts are saved 400 ms after typing stops
    await page.reload();
    await sidebar(page).waitFor();
    await until(async () => (await ui(page).getByTestId('composer-text').inputValue()) === 'Hi Maria, about your visit next wee', 'the draft to come back');
    await page.close();
  });

  it('admin-defined adapter: reads an EHR only its selectors understand', async () => {
    const page = await openEhr('/custom/patient/42');
    expect(await text(sidebar(page).getByTestId('page-patient-name'))).toBe('Dana Whitfield');
    await page.close();
  });

  it('an HTML payload in the page’s patient name is shown as text and never becomes markup', async () => {
    const page = await openEhr('/clinic/xss.html');
    const payload = '<img src=x onerror="window.__caretextXss=1">Mallory <b>Bold</b>';
    expect(await text(sidebar(page).getByTestId('page-patient-name'))).toBe(payload);
    const frame = page.frames().find((f) => f.url().startsWith('chrome-extension://'))!;
    const injected = await frame.evaluate(() => ({ img: document.querySelectorAll('img').length, b: document.querySelectorAll('b').length, fired: (window as unknown as { __caretextXss?: number }).__caretextXss ?? null }));
    expect(injected).toEqual({ img: 0, b: 0, fired: null });
    expect(await page.evaluate(() => (window as unknown as { __caretextXss?: number }).__caretextXss ?? null)).toBeNull();
    // Created from the page, the record keeps the text too.
    await sidebar(page).getByTestId('create-patient').click();
    await sidebar(page).getByTestId('patient-name').waitFor();
    expect(await frame.evaluate(() => document.querySelectorAll('img').length)).toBe(0);
    await page.close();
  });

  it('asks the patient to confirm from the sidebar, and shows their "C" as Confirmed on that message', async () => {
    const page = await openEhr('/openemr/interface/patient_file/summary/demographics.php?set_pid=7');
    const bar = sidebar(page);
    await ui(page).getByTestId('composer-text').fill('Your visit is Tuesday at 9:30');
    await ui(page).getByTestId('ask-confirm').check();
    expect(await text(ui(page).getByTestId('confirm-adds'))).toBe('Adds: Reply C to confirm or N to decline.');
    // Counted on what goes out: 29 typed + ". " + 35 added.
    expect(await text(ui(page).getByTestId('composer-counter'))).toMatch(/^66 \/ 160 · 1 segment/);
    await ui(page).getByTestId('send-button').click();
    const request = bar.getByTestId('message').filter({ hasText: 'Your visit is Tuesday at 9:30' });
    await request.waitFor();
    expect(await text(request.getByTestId('confirmation-chip'))).toBe('Awaiting C/N');
    expect(await ui(page).getByTestId('ask-confirm').isChecked()).toBe(false);
    await until(() => app.server.simulator!.messages().some((m) => m.to === PHIL && m.body.startsWith('Your visit is Tuesday at 9:30')), 'the request to reach the simulator');

    await app.server.simulator!.simulateInbound({ from: PHIL, to: clinicNumber, body: 'C' });
    await until(async () => (await text(request.getByTestId('confirmation-chip'))) === 'Confirmed', 'the Confirmed chip');
    await page.close();
  });

  it('a patient who texts STOP closes SMS in the sidebar, which sends Secure Chat instead; START opens SMS again', async () => {
    const page = await openEhr('/clinic/chart.html');
    const bar = sidebar(page);
    await bar.getByTestId('composer').waitFor();
    expect(await ui(page).getByTestId('composer-text').isDisabled()).toBe(false);

    await app.server.simulator!.simulateInbound({ from: MARIA, to: clinicNumber, body: 'STOP' });
    const closed = ui(page).getByTestId('sms-unavailable');
    await closed.waitFor();
    expect(await closed.getAttribute('data-reason')).toBe('opted_out');
    expect(await text(closed)).toMatch(/^SMS is not available: The patient opted out by replying STOP to .*They can text START to opt back in\. Secure Chat still reaches them\.$/);
    expect(await ui(page).getByTestId('channel-sms').isDisabled()).toBe(true);
    expect(await ui(page).getByTestId('channel-secure').getAttribute('aria-pressed')).toBe('true');
    // Secure Chat from the sidebar: sent, and the note says how the patient was told (by email:
    // they opted out of texts).
    await app.server.db.prisma.patient.updateMany({ where: { phone: MARIA }, data: { email: 'maria@example.com', dob: '1980-02-03' } });
    await ui(page).getByTestId('composer-text').fill('Your lab results are ready to view.');
    expect(await text(ui(page).getByTestId('composer-counter'))).toBe('Secure Chat · no SMS segments');
    await ui(page).getByTestId('send-button').click();
    await ui(page).locator('[data-testid="send-info"],[data-testid="send-error"]').first().waitFor();
    expect(await text(ui(page).locator('[data-testid="send-info"],[data-testid="send-error"]').first())).toBe('Sent as Secure Chat. Link sent by email to maria@example.com.');
    const stored = await app.server.db.prisma.message.findFirst({ where: { body: 'Your lab results are ready to view.' } });
    expect(stored?.channel).toBe('secure');
    // The thread marks it, and a new link can be sent from here (the earlier one stops working).
    const mine = ui(page).getByTestId('message').filter({ hasText: 'Your lab results are ready to view.' });
    await mine.getByTestId('secure-badge').waitFor();
    expect(await mine.getByTestId('message-status').count()).toBe(0);
    page.once('dialog', (dialog) => void dialog.accept());
    await ui(page).getByTestId('resend-link').click();
    await ui(page).getByTestId('resend-note').waitFor();
    expect(await text(ui(page).getByTestId('resend-note'))).toBe('New link: Link sent by email to maria@example.com.');
    const links = await app.server.db.prisma.portalLink.findMany({ where: { conversationId: stored!.conversationId }, orderBy: { createdAt: 'asc' } });
    expect(links.length).toBe(2);
    expect(links[0]!.replacedAt).not.toBeNull();

    await app.server.simulator!.simulateInbound({ from: MARIA, to: clinicNumber, body: 'START' });
    await closed.waitFor({ state: 'detached' });
    expect(await ui(page).getByTestId('composer-text').isDisabled()).toBe(false);
    await page.close();
  });

  it('Secure Chat from the sidebar on an EHR page, with a file attached in the sidebar: the SMS has a link -> a fresh phone: wrong DOB x3 -> locked page -> Resend secure link in the sidebar -> right DOB -> the message and the file (shown, downloaded: the same bytes) -> the sidebar shows Seen live -> the patient replies -> the reply appears live in the sidebar', async () => {
    const BEN = '+14155550122';
    const page = await openEhr('/spa/patients/2');
    const bar = sidebar(page);
    await until(async () => (await text(bar.getByTestId('patient-name'))) === 'Ben Okafor', 'the sidebar to show Ben');
    await bar.getByTestId('composer').waitFor();
    // SMS is possible for Ben, so both are offered; Secure Chat is picked.
    await ui(page).getByTestId('channel-secure').click();
    expect(await ui(page).getByTestId('channel-secure').getAttribute('aria-pressed')).toBe('true');
    const body = 'Ben, your echocardiogram report is ready: ejection fraction 58%.';
    // Attach in the sidebar: a file over the limit is refused there in plain words, a real one uploads.
    const scratch = await ext.context.newPage();
    await scratch.setContent('<div id="x" style="width:120px;height:90px;background:linear-gradient(135deg,#6d28d9,#0ea5e9)"></div>');
    const image = await scratch.locator('#x').screenshot();
    await scratch.close();
    const attach = ui(page).getByTestId('attach-input');
    // By path: Chromium opens it from disk (sent as a buffer, 10 MB crawls through the protocol).
    const tooBig = join(mkdtempSync(join(tmpdir(), 'ct-attach-')), 'too-big.pdf');
    writeFileSync(tooBig, Buffer.alloc(10 * 1024 * 1024 + 1, 0x25));
    await attach.setInputFiles(tooBig);
    expect(await text(ui(page).getByTestId('draft-file-error'))).toBe('This file is too large: the largest you can attach is 10 MB. Send a smaller file.');
    if (shots) await page.screenshot({ path: `${shots}/extension-secure-attach-refused.png` });
    await ui(page).getByTestId('draft-file').filter({ hasText: 'too-big.pdf' }).getByTestId('draft-file-remove').click();
    await attach.setInputFiles([{ name: 'echo-report.png', mimeType: 'image/png', buffer: image }]);
    await ui(page).locator('[data-testid="draft-file"][data-status="ready"]').filter({ hasText: 'echo-report.png' }).waitFor();
    await ui(page).getByTestId('composer-text').fill(body);
    if (shots) await page.screenshot({ path: `${shots}/extension-secure-attach.png` });
    await ui(page).getByTestId('send-button').dblclick();
    await ui(page).locator('[data-testid="send-info"],[data-testid="send-error"]').first().waitFor();
    expect(await text(ui(page).locator('[data-testid="send-info"],[data-testid="send-error"]').first())).toBe('Sent as Secure Chat. Link sent by SMS to (415) 555-0122.');
    const mine = bar.getByTestId('message').filter({ hasText: 'echocardiogram' });
    await mine.getByTestId('secure-badge').waitFor();
    expect(await mine.getByTestId('read-receipt').count()).toBe(0);
    // The double click sent one message, carrying the file; the sidebar attached nothing more.
    expect(await mine.count()).toBe(1);
    expect(await text(mine.getByTestId('message-files'))).toBe('1 file · open the conversation in the CareText Inbox to see it');
    expect(await ui(page).getByTestId('draft-file').count()).toBe(0);

    const links = () => app.server.simulator!.messages().filter((m) => m.to === BEN && m.body.includes('/p/'));
    const linkAfter = async (before: number) => {
      const sms = await until(async () => {
        await app.server.simulator!.settle();
        return links().length > before ? links().at(-1) : null;
      }, 'a portal SMS to Ben');
      return /(https?:\/\/\S+\/p\/[A-Za-z0-9_-]+)/.exec(sms!.body)![1]!;
    };
    const firstLink = await linkAfter(0);
    expect(app.server.simulator!.messages().some((m) => m.to === BEN && m.body.includes('echocardiogram'))).toBe(false);

    // The patient's phone: another browser, a fresh profile.
    const patientBrowser = await launchBrowser();
    try {
      const phone = await patientBrowser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
      const p = await phone.newPage();
      const enterDob = async (month: string, day: string, year: string) => {
        await p.getByTestId('dob-month').selectOption(month);
        await p.getByTestId('dob-day').fill(day);
        await p.getByTestId('dob-year').fill(year);
        await p.getByTestId('dob-submit').click();
      };
      await p.goto(firstLink);
      await p.getByTestId('portal-verify').waitFor();
      await enterDob('1', '1', '1970');
      await p.getByTestId('dob-wrong').waitFor();
      await enterDob('1', '2', '1970');
      await p.getByText('1 try left', { exact: false }).waitFor();
      await enterDob('1', '3', '1970');
      await p.getByTestId('portal-locked').waitFor();
      expect(await p.content()).not.toContain('echocardiogram');

      // Staff resend from the sidebar: a new link; the locked one now says it was replaced.
      page.once('dialog', (dialog) => void dialog.accept());
      await ui(page).getByTestId('resend-link').click();
      await ui(page).getByTestId('resend-note').waitFor();
      expect(await text(ui(page).getByTestId('resend-note'))).toBe('New link: Link sent by SMS to (415) 555-0122.');
      const secondLink = await linkAfter(1);
      await p.reload();
      await p.getByTestId('portal-replaced').waitFor();

      await p.goto(secondLink);
      await enterDob('11', '2', '1968');
      await p.getByTestId('portal-message').filter({ hasText: 'ejection fraction 58%' }).waitFor();
      expect(await p.getByTestId('portal-message').filter({ hasText: 'ejection fraction 58%' }).count()).toBe(1);
      // The file from the sidebar: shown, and its link downloads the very bytes attached.
      const file = p.getByTestId('portal-file').filter({ hasText: 'echo-report.png' });
      await expect.poll(() => file.locator('img').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);
      const [download] = await Promise.all([p.waitForResponse((r) => r.url().includes('/api/attachments/') && r.request().resourceType() === 'document'), file.getByTestId('portal-file-link').click()]);
      expect(download.status()).toBe(200);
      expect(Buffer.from(await download.body()).equals(image)).toBe(true);
      await p.goBack();
      await p.getByTestId('portal-conversation').waitFor();

      // The sidebar, without a reload: Seen, then the patient's reply.
      await mine.getByTestId('read-receipt').waitFor();
      expect(await text(mine.getByTestId('read-receipt'))).toMatch(/^· Seen /);
      await p.getByTestId('portal-reply-text').fill('Thanks, is that good?');
      await p.getByTestId('portal-reply-send').click();
      await p.getByTestId('portal-message').filter({ hasText: 'Thanks, is that good?' }).waitFor();
      const reply = bar.getByTestId('message').filter({ hasText: 'Thanks, is that good?' });
      await reply.waitFor();
      expect(await reply.getAttribute('data-direction')).toBe('inbound');
      expect(await reply.getAttribute('data-channel')).toBe('secure');
    } finally {
      await patientBrowser.close();
    }
    await page.close();
  }, 180_000);

  it('offline: a message sent while the server is unreachable waits in the outbox and is delivered exactly once on reconnect', async () => {
    const page = await openEhr('/openemr/interface/patient_file/summary/demographics.php?set_pid=7');
    const bar = sidebar(page);
    await bar.getByTestId('composer').waitFor();

    const body = 'Offline hello: please call us back when you can.';
    gate.setOpen(false);
    try {
      await bar.getByTestId('offline-banner').waitFor();
      await send(page, body);
      const queued = bar.getByTestId('outbox-item').filter({ hasText: body });
      await queued.waitFor();
      // The item is stored as 'sending' before its first attempt; the failed attempt makes it wait.
      await expect.poll(() => queued.getAttribute('data-state')).toBe('waiting');
      await expect.poll(() => text(bar.getByTestId('send-info'))).toContain('Saved to the outbox');
      expect(sentTo(PHIL, body)).toHaveLength(0);
      // It is on disk in the service worker's IndexedDB, not just in memory.
      const stored = await ext.worker.evaluate(
        () =>
          new Promise<number>((resolve) => {
            const open = indexedDB.open('caretext');
            open.onsuccess = () => {
              const count = open.result.transaction('outbox').objectStore('outbox').count();
              count.onsuccess = () => resolve(count.result);
            };
          }),
      );
      expect(stored).toBe(1);
    } finally {
      // Open again even when a step above failed: the later tests need the server.
      gate.setOpen(true);
    }
    await bar.getByTestId('message').filter({ hasText: body }).waitFor({ timeout: 30_000 });
    await until(async () => (await bar.getByTestId('outbox-item').count()) === 0, 'the outbox to empty');
    await bar.getByTestId('offline-banner').waitFor({ state: 'detached' });
    await app.server.simulator!.settle();
    await new Promise((r) => setTimeout(r, 1500)); // any duplicate would have gone out by now
    expect(sentTo(PHIL, body)).toHaveLength(1);
    const history = await clinic.api.query<{ messages: { body: string }[] }>('conversations.forPatient', { patientId: clinic.patients.phil!.id });
    expect(history.messages.filter((m) => m.body === body)).toHaveLength(1);
    await page.close();
  });

  it('a day’s schedule: "Text these 8 patients" lists the unknown and the DOB-mismatch rows, and opens the blast wizard with exactly the matched patients', async () => {
    // The schedule's patients (test/fixtures/ehr/schedule-patients.json), added last so no earlier page matches them.
    const seed = JSON.parse(readFileSync(new URL('../fixtures/ehr/schedule-patients.json', import.meta.url), 'utf8')).patients as ({ key: string } & Record<string, string>)[];
    const ids: Record<string, string> = {};
    for (const { key, ...input } of seed) ids[key] = (await clinic.api.mutate<{ id: string }>('patients.create', input)).id;
    const page = await openEhr('/clinic/schedule.html');
    const bar = sidebar(page);
    expect(await text(bar.getByTestId('page-list-title'))).toBe('Patients on this page (8)');
    await bar.getByTestId('text-list').click();
    expect(await text(bar.getByTestId('page-list-matched'))).toBe('6 of 8 matched to CareText patients.');
    expect(await bar.getByTestId('unmatched-row').allTextContents()).toEqual(['Nobody, Quinn Not in CareText', 'Okafor, Grace Date of birth differs from CareText’s']);
    const [wizard] = await Promise.all([ext.context.waitForEvent('page'), bar.getByTestId('open-blast-wizard').click()]);
    const opened = new URL(wizard.url());
    expect(`${opened.origin}${opened.pathname}`).toBe(`${serverUrl()}/comms/blasts/new`);
    const expected = ['phil', 'maria', 'wei', 'ben', 'dana', 'rosa'].map((k) => ids[k]!);
    expect(opened.searchParams.get('patients')!.split(',').sort()).toEqual(expected.sort());
    await wizard.close();
    await page.close();
  });

  it('Blast from the sidebar: a saved cohort, the preview counts, a double click sends once, progress until completed, Open results opens the blast in the web app', async () => {
    const tag = 'sidebar-blast';
    const who = [
      { firstName: 'Iris', lastName: 'Blast', phone: '(415) 555-0181', tags: [tag] },
      { firstName: 'Jon', lastName: 'Blast', phone: '(415) 555-0182', tags: [tag] },
      { firstName: 'Kim', lastName: 'Nophone', tags: [tag] },
    ];
    for (const input of who) await clinic.api.mutate('patients.create', input);
    await clinic.api.mutate('cohorts.create', { name: 'Sidebar blast', filter: { tags: [tag] } });
    const page = await openEhr('/clinic/chart.html');
    const bar = sidebar(page);
    await bar.getByTestId('blast-entry').click();
    await bar.locator('[data-testid="blast-cohort"][data-name="Sidebar blast"]').check();
    await expect.poll(() => text(bar.getByTestId('preview-willSend'))).toBe('Will send2');
    expect(await text(bar.getByTestId('preview-noContactInfo'))).toBe('No contact info1');
    const body = 'Hi {{first_name}}, our office hours change next week. {{org_name}}';
    await bar.getByTestId('blast-body').fill(body);
    await bar.getByTestId('blast-name').fill('Office hours (sidebar)');
    expect(await text(bar.getByTestId('blast-send'))).toBe('Send to 2 patients');
    if (shots) await page.screenshot({ path: `${shots}/extension-blast.png` });
    await bar.getByTestId('blast-send').dblclick();
    await expect.poll(() => text(bar.getByTestId('blast-status')), { timeout: 15_000 }).toBe('Completed');
    expect(await text(bar.getByTestId('blast-stat-sent'))).toBe('2Sent');
    expect(await text(bar.getByTestId('blast-stat-skipped'))).toBe('1Skipped');
    if (shots) await page.screenshot({ path: `${shots}/extension-blast-progress.png` });
    // Sent once: one blast, one message per patient with a phone.
    const blasts = (await clinic.api.query<{ id: string; name: string }[]>('blasts.list')).filter((b) => b.name === 'Office hours (sidebar)');
    expect(blasts).toHaveLength(1);
    expect(sentTo('+14155550181', 'Hi Iris, our office hours change next week. Riverside Family Clinic')).toHaveLength(1);
    expect(sentTo('+14155550182', 'Hi Jon, our office hours change next week. Riverside Family Clinic')).toHaveLength(1);
    const [results] = await Promise.all([ext.context.waitForEvent('page'), bar.getByTestId('blast-open-results').click()]);
    expect(results.url()).toBe(`${serverUrl()}/comms/blasts/${blasts[0]!.id}`);
    await results.close();
    await page.close();
  });
});
