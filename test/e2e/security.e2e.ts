import { createServer, request as httpRequest, type Server } from 'node:http';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allowSiteInChromeSettings,
  type Clinic,
  type ExtensionBrowser,
  type FixtureServer,
  launchWithExtension,
  serveFixtures,
  sidebarFrame,
  signInFromPopup,
  smsClinic,
} from './extension-harness';
import { type RunningApp, startApp } from './harness';

/**
 * Issue 9, item 1: no website may read patient data through the sidebar. In real Chromium with
 * the built extension: a hostile page on an approved EHR origin cannot read or script the
 * sidebar (an extension-origin frame) nor message the extension; a page on an origin the
 * organization did not approve gets no sidebar and causes no lookup; a page rewriting its MRN in
 * a loop is stopped by the rate limit. The extension reaches the server through a proxy that
 * counts `patients.match` calls.
 */

let app: RunningApp;
let proxy: CountingProxy;
let approved: FixtureServer;
let unapproved: FixtureServer;
let clinic: Clinic;
let ext: ExtensionBrowser;

// What CareText knows about the patient and the page does not show (the page shows only the MRN).
const SECRETS = ['Phil', 'Lopez', '1972', '02/09', '555-0142', '5550142', 'phil.lopez@example.org', 'Bring your inhaler'];

type CountingProxy = { url: string; matches(): number; close(): Promise<void> };

/** HTTP proxy to the app that counts patient lookups (streams pass through, SSE included). */
async function countingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  let matches = 0;
  const open = new Set<ReturnType<typeof httpRequest>>();
  const server: Server = createServer((req, res) => {
    if ((req.url ?? '').includes('patients.match')) matches++;
    const forward = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    forward.on('error', () => res.destroy());
    // A closed client (the browser going away) ends the upstream request too (SSE streams).
    res.on('close', () => forward.destroy());
    open.add(forward);
    forward.on('close', () => open.delete(forward));
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    // The extension reaches the server as localhost: host access to localhost is granted, and
    // the unapproved EHR below is on localhost too, so "granted but not approved" is tested.
    url: `http://localhost:${port}`,
    matches: () => matches,
    close: () =>
      new Promise((resolve) => {
        for (const r of open) r.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

beforeAll(async () => {
  app = await startApp();
  proxy = await countingProxy(app.url);
  approved = await serveFixtures('127.0.0.1');
  unapproved = await serveFixtures('localhost');
  clinic = await smsClinic(app.url, { phil: { firstName: 'Phil', lastName: 'Lopez', mrn: 'OE-1042', phone: '+14155550142', dob: '1972-02-09', email: 'phil.lopez@example.org' } });
  const conversation = await clinic.api.mutate<{ id?: string; conversationId?: string }>('conversations.startSms', { teamId: clinic.teamId, patientId: clinic.patients.phil!.id });
  await clinic.api.mutate('conversations.send', { conversationId: conversation.id ?? conversation.conversationId, body: 'Bring your inhaler on Tuesday.' });
  ext = await launchWithExtension();
  await allowSiteInChromeSettings(ext, 'http://localhost/*');
  await allowSiteInChromeSettings(ext, 'http://127.0.0.1/*');
  await (await signInFromPopup(ext, proxy.url, clinic.email, clinic.password)).close();
  // Starting the server, Chromium and signing in take long on a busy machine.
}, 180_000);

afterAll(async () => {
  await ext?.close();
  await approved?.close();
  await unapproved?.close();
  await proxy?.close();
  await app?.close();
});

async function until<T>(probe: () => T | Promise<T>, what: string, attempts = 150): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const value = await probe();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Everything the page's own scripts can see of the document, including open shadow roots. */
function pageView(page: Page) {
  return page.evaluate(() => {
    const shadows: string[] = [];
    for (const el of document.querySelectorAll('*')) if (el.shadowRoot) shadows.push(el.shadowRoot.innerHTML);
    const frame = document.querySelector('iframe');
    let frameDocument: string;
    try {
      frameDocument = frame?.contentDocument ? 'readable' : 'null';
    } catch {
      frameDocument = 'threw';
    }
    let frameWindowDocument: string;
    try {
      frameWindowDocument = frame?.contentWindow?.document ? 'readable' : 'null';
    } catch {
      frameWindowDocument = 'threw';
    }
    return { text: document.documentElement.innerText, html: document.documentElement.outerHTML, shadows, frameDocument, frameWindowDocument, frameSrc: frame?.src ?? null };
  });
}

describe('security: no website reads patient data through the sidebar', () => {
  it('a hostile page on an approved origin cannot read or script the sidebar, nor message the extension', async () => {
    const page = await ext.context.newPage();
    await page.goto(`${approved.url}/hostile/chart.html`);
    const ui = sidebarFrame(page);
    // The sidebar (in its extension-origin frame) shows what CareText knows.
    await until(async () => (await ui.getByTestId('patient-name').count()) === 1, 'the matched patient in the sidebar');
    expect((await ui.getByTestId('patient-name').textContent())?.trim()).toBe('Phil Lopez');
    await ui.getByTestId('message').filter({ hasText: 'Bring your inhaler' }).waitFor();

    const seen = await pageView(page);
    expect(seen.frameSrc).toMatch(/^chrome-extension:\/\//);
    expect(seen.frameDocument).toBe('null');
    expect(seen.frameWindowDocument).toBe('threw');
    expect(seen.shadows).toEqual([]);
    for (const secret of SECRETS) {
      expect(seen.text, secret).not.toContain(secret);
      expect(seen.html, secret).not.toContain(secret);
    }
    // The extension cannot be messaged from the page (no externally_connectable).
    const messaging = await page.evaluate(async (id) => {
      const c = (globalThis as { chrome?: { runtime?: { sendMessage?: (id: string, m: unknown) => Promise<unknown> } } }).chrome;
      if (!c?.runtime?.sendMessage) return 'no chrome.runtime.sendMessage';
      try {
        return JSON.stringify(await c.runtime.sendMessage(id, { type: 'patient.lookup', page: { mrn: 'OE-1042' } }));
      } catch (error) {
        return `threw: ${String(error)}`;
      }
    }, ext.extensionId);
    expect(messaging).toMatch(/^(no chrome\.runtime\.sendMessage|threw)/);
    // Nor make it match a list of patients it made up (issue 13, "Text these N patients").
    const listing = await page.evaluate(async (id) => {
      const c = (globalThis as { chrome?: { runtime?: { sendMessage?: (id: string, m: unknown) => Promise<unknown> } } }).chrome;
      if (!c?.runtime?.sendMessage) return 'no chrome.runtime.sendMessage';
      try {
        return JSON.stringify(await c.runtime.sendMessage(id, { type: 'patients.matchList', rows: [{ mrn: 'OE-1042' }, { mrn: 'OE-1043' }] }));
      } catch (error) {
        return `threw: ${String(error)}`;
      }
    }, ext.extensionId);
    expect(listing).toMatch(/^(no chrome\.runtime\.sendMessage|threw)/);
    // Nor read the cohorts or launch a blast (issue 13, "Launching from the EHR").
    const blasting = await page.evaluate(async (id) => {
      const c = (globalThis as { chrome?: { runtime?: { sendMessage?: (id: string, m: unknown) => Promise<unknown> } } }).chrome;
      if (!c?.runtime?.sendMessage) return ['no chrome.runtime.sendMessage'];
      const asks = [{ type: 'blast.setup' }, { type: 'blast.send', teamId: 'x', cohortIds: ['x'], body: 'Hi', idempotencyKey: 'hostile-key-1' }];
      return Promise.all(asks.map((m) => c.runtime!.sendMessage!(id, m).then((a) => JSON.stringify(a), (error: unknown) => `threw: ${String(error)}`)));
    }, ext.extensionId);
    for (const answer of blasting) expect(answer).toMatch(/^(no chrome\.runtime\.sendMessage|threw)/);
    // Nor can it make our sidebar act: clicks it dispatches land on the iframe element, not in it.
    await page.evaluate(() => document.querySelector('iframe')!.dispatchEvent(new MouseEvent('click', { bubbles: true })));
    // Framing the sidebar page itself gets a frame it cannot read either.
    const ownFrame = await page.evaluate(async (src) => {
      const f = document.createElement('iframe');
      f.src = src;
      document.body.append(f);
      await new Promise((r) => f.addEventListener('load', r));
      return f.contentDocument === null;
    }, seen.frameSrc!);
    expect(ownFrame).toBe(true);
    await page.close();
  });

  it('a page on an origin the organization did not approve gets no sidebar and causes no lookup', async () => {
    const before = proxy.matches();
    const page = await ext.context.newPage();
    // The same patient page, served from localhost (host access granted for the server, not approved as an EHR).
    await page.goto(`${unapproved.url}/hostile/chart.html`);
    const control = await ext.context.newPage();
    await control.goto(`${approved.url}/hostile/chart.html`);
    await sidebarFrame(control).getByTestId('patient-name').waitFor();
    await control.close();
    const after = proxy.matches();
    await new Promise((r) => setTimeout(r, 1000));
    expect(await page.evaluate(() => document.querySelectorAll('iframe').length)).toBe(0);
    expect(await page.evaluate(() => Boolean(document.getElementById('caretext-sidebar-host')))).toBe(false);
    // Exactly one lookup in the meantime: the control page's on the approved origin.
    expect(after - before).toBe(1);
    expect(proxy.matches()).toBe(after);
    await page.close();
  });

  it('a page that rewrites its MRN in a loop is stopped by the lookup rate limit', async () => {
    const before = proxy.matches();
    const page = await ext.context.newPage();
    await page.goto(`${approved.url}/hostile/chart.html?enumerate=1`);
    await until(async () => (await page.evaluate(() => (window as unknown as { __tried: string[] }).__tried.length)) >= 40, 'the page to try 40 MRNs', 300);
    await sidebarFrame(page).getByTestId('lookup-error').filter({ hasText: 'Too many patient lookups' }).waitFor();
    await new Promise((r) => setTimeout(r, 500));
    const looked = proxy.matches() - before;
    expect(looked).toBeGreaterThan(0);
    expect(looked).toBeLessThanOrEqual(10);
    await page.close();
  });
});
