import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type FrameLocator, type Page, type Worker } from 'playwright-core';
import { chromiumPath } from './harness';

/**
 * What the extension e2e needs beyond ./harness.ts: the built extension in Chromium, the EHR
 * fixtures on a local web server, a gate in front of the CareText server that can go "offline",
 * and a small tRPC-over-HTTP client to arrange data the way the web app would.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const EXTENSION_DIR = path.join(ROOT, 'extension');
export const EXTENSION_DIST = path.join(EXTENSION_DIR, 'dist');
const FIXTURES = path.join(ROOT, 'test/fixtures/ehr');

const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return latest;
}

/** Builds the extension when dist/ is missing or older than its sources (`pnpm build` does not build it). */
export function ensureExtensionBuilt(): void {
  const manifest = path.join(EXTENSION_DIST, 'manifest.json');
  const sources = Math.max(newest(path.join(EXTENSION_DIR, 'src')), statSync(path.join(EXTENSION_DIR, 'manifest.config.ts')).mtimeMs);
  if (existsSync(manifest) && statSync(manifest).mtimeMs >= sources) return;
  console.log('[e2e] building the extension (extension/dist is missing or stale)…');
  execFileSync('pnpm', ['--filter', '@caretext/extension', 'build'], { cwd: ROOT, stdio: 'inherit' });
}

export type ExtensionBrowser = {
  context: BrowserContext;
  worker: Worker;
  extensionId: string;
  close(): Promise<void>;
};

/** Chromium with the built extension loaded, headless, in a fresh profile (per ../shared/recipes/EXTENSION.md). */
export async function launchWithExtension(): Promise<ExtensionBrowser> {
  ensureExtensionBuilt();
  const profile = await mkdtemp(path.join(tmpdir(), 'caretext-ext-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(),
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: [`--disable-extensions-except=${EXTENSION_DIST}`, `--load-extension=${EXTENSION_DIST}`, ...FLAGS],
  });
  context.setDefaultTimeout(15_000);
  const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
  return {
    context,
    worker,
    extensionId: new URL(worker.url()).host,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Host access as a user grants it. The extension asks with `chrome.permissions.request` on a
 * click in its popup; Chrome then shows a permission prompt, which is browser UI a headless test
 * cannot click. So the test first does what a user (or an IT policy) can do in Chrome's own
 * extension settings: chrome://extensions → CareText → Site access → add the site (the
 * developerPrivate call that page makes). For a site allowed there, Chrome answers the
 * extension's own request without a prompt, and the extension's code path (popup click →
 * permissions.request → content script registered) runs unchanged. Nothing is granted until the
 * extension asks: `chrome.permissions.contains` stays false until then.
 */
export async function allowSiteInChromeSettings(ext: ExtensionBrowser, pattern: string): Promise<void> {
  const page = await ext.context.newPage();
  await page.goto(`chrome://extensions/?id=${ext.extensionId}`);
  type DeveloperPrivate = { chrome: { developerPrivate: { addHostPermission(id: string, host: string): Promise<void> } } };
  await page.evaluate(([id, host]) => (globalThis as unknown as DeveloperPrivate).chrome.developerPrivate.addHostPermission(id!, host!), [ext.extensionId, pattern]);
  await page.close();
}

/** The sidebar: an extension page framed into the EHR tab (never the page's own DOM). */
export function sidebarFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe[src^="chrome-extension://"]');
}

/**
 * Signs in from the popup (opened as a tab), then allows the organization's approved EHR sites
 * on the popup's button, as a user would, and waits for the content script to be registered.
 */
export async function signInFromPopup(ext: ExtensionBrowser, serverUrl: string, email: string, password: string): Promise<Page> {
  const popup = await ext.context.newPage();
  await popup.goto(`chrome-extension://${ext.extensionId}/src/popup/index.html`);
  await popup.getByTestId('popup-server-url').fill(serverUrl);
  await popup.getByTestId('popup-email').fill(email);
  await popup.getByTestId('popup-password').fill(password);
  await popup.getByTestId('popup-sign-in').click();
  await popup.getByTestId('popup-signed-in').waitFor();
  await popup.getByTestId('popup-allow-origins').click();
  await popup.getByTestId('popup-allow-origins').waitFor({ state: 'detached' });
  for (let i = 0; i < 100; i++) {
    const worker = await currentWorker(ext.context);
    type Scripting = { chrome: { scripting: { getRegisteredContentScripts(): Promise<unknown[]> } } };
    if ((await worker.evaluate(() => (globalThis as unknown as Scripting).chrome.scripting.getRegisteredContentScripts())).length) return popup;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the content script was never registered');
}

/** The service worker as it is now (Chrome may have stopped and restarted it). */
export async function currentWorker(context: BrowserContext): Promise<Worker> {
  return context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
}

/** URL path -> fixture file (routes.json, shared with the bench). The OpenEMR path is the real dashboard's; the SPA serves every /spa/ path. */
const ROUTES: [RegExp, string][] = (JSON.parse(readFileSync(path.join(FIXTURES, 'routes.json'), 'utf8')) as { routes: [string, string][] }).routes.map(([re, file]) => [
  new RegExp(re),
  file,
]);

export type FixtureServer = { url: string; close(): Promise<void> };

/** The EHR fixtures, on 127.0.0.1 (approved in the tests) or another host (`localhost`: not approved). */
export async function serveFixtures(host = '127.0.0.1'): Promise<FixtureServer> {
  const server: Server = createHttpServer((req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://x');
    const route = ROUTES.find(([re]) => re.test(pathname));
    if (!route) return void res.writeHead(404).end('not found');
    const body = route[1] ? readFileSync(path.join(FIXTURES, route[1])) : '<!doctype html><title>Blank</title><p>Nothing here.</p>';
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://${host}:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/**
 * A TCP gate in front of the CareText server: the extension is pointed at it, and the test can
 * cut it (open connections dropped, new ones refused) and restore it, as a lost connection
 * would. Playwright's offline mode does not reach an extension's service worker.
 */
export type ServerGate = { url: string; setOpen(open: boolean): void; close(): Promise<void> };

export async function gateTo(targetUrl: string): Promise<ServerGate> {
  const target = new URL(targetUrl);
  let open = true;
  const sockets = new Set<Socket>();
  const server = createTcpServer((client) => {
    if (!open) return void client.destroy();
    const upstream = connect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    setOpen(next) {
      open = next;
      if (!next) for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** tRPC over plain HTTP with superjson's envelope: enough to arrange data as the web app would. */
export function trpc(serverUrl: string, token?: string) {
  const headers = { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
  const unwrap = async (res: Response) => {
    const body = (await res.json()) as { result?: { data?: { json?: unknown } }; error?: { json?: { message?: string } } };
    if (!res.ok || body.error) throw new Error(`tRPC ${res.status}: ${body.error?.json?.message ?? JSON.stringify(body)}`);
    return body.result?.data?.json as never;
  };
  return {
    mutate: async <T = unknown>(procedure: string, input?: unknown): Promise<T> =>
      unwrap(await fetch(`${serverUrl}/trpc/${procedure}`, { method: 'POST', headers, body: JSON.stringify({ json: input ?? null }) })),
    query: async <T = unknown>(procedure: string, input?: unknown): Promise<T> =>
      unwrap(await fetch(`${serverUrl}/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify({ json: input ?? null }))}`, { headers })),
  };
}

/**
 * Sign-up as a newcomer does it on a demo server: the form answers "check your email", the
 * browser that signed up reads its confirmation on the Dev mailbox (its grant cookie), and the
 * link creates the account. Returns an extension (bearer) session.
 */
export async function signUpAndConfirm(serverUrl: string, who: { name: string; email: string; password: string }): Promise<string> {
  const res = await fetch(`${serverUrl}/trpc/auth.signUp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ json: { ...who, client: 'extension' } }),
  });
  if (!res.ok) throw new Error(`sign-up answered ${res.status}`);
  const grant = /caretext_signup_mail=[^;]+/.exec(res.headers.get('set-cookie') ?? '')?.[0];
  if (!grant) throw new Error('sign-up set no Dev mailbox grant (are demo tools on?)');
  const input = encodeURIComponent(JSON.stringify({ json: { limit: 10 } }));
  for (let attempt = 0; attempt < 100; attempt++) {
    const list = (await (await fetch(`${serverUrl}/trpc/devMailbox.list?input=${input}`, { headers: { cookie: grant } })).json()) as {
      result?: { data?: { json?: { text: string }[] } };
    };
    const link = list.result?.data?.json?.map((m) => /\/confirm-email\/([A-Za-z0-9_-]+)/.exec(m.text)?.[1]).find(Boolean);
    if (link) return (await trpc(serverUrl).mutate<{ token: string }>('auth.confirmSignUp', { token: link, client: 'extension' })).token;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no confirmation mail reached ${who.email}`);
}

export type Clinic = {
  email: string;
  password: string;
  token: string;
  teamId: string;
  api: ReturnType<typeof trpc>;
  patients: Record<string, { id: string }>;
};

/**
 * An SMS clinic as an admin would set it up in the web app: an owner, the SMS plan, a team with
 * a number, quiet hours off (the test must not depend on the time of day), and the patients
 * some fixtures show (others are left for "Create patient from this page").
 */
export async function smsClinic(serverUrl: string, patients: Record<string, Record<string, string>>): Promise<Clinic> {
  const email = `front.desk.${Date.now().toString(36)}@clinic.example`;
  const password = 'correct-horse-battery';
  const token = await signUpAndConfirm(serverUrl, { name: 'Dana Reyes', email, password });
  const api = trpc(serverUrl, token);
  await api.mutate('orgs.create', { name: 'Riverside Family Clinic', timeZone: 'America/Chicago' });
  await api.mutate('plan.checkout', { plan: 'sms' });
  await api.mutate('orgs.updatePolicies', { secureLinkExpiryHours: 72, quietHoursEnabled: false, quietHoursStart: '21:00', quietHoursEnd: '08:00', smsAllowed: true, externalChatAllowed: false });
  const team = await api.mutate<{ id: string }>('teams.create', { name: 'Front Desk' });
  const me = await api.query<{ user: { id: string } }>('auth.me');
  await api.mutate('teams.addMember', { teamId: team.id, userId: me.user.id });
  const [available] = await api.query<{ phoneNumber: string }[]>('numbers.search', { areaCode: '415' });
  await api.mutate('numbers.buy', { phoneNumber: available!.phoneNumber, teamId: team.id });
  // The EHR fixtures are served from 127.0.0.1: the admin approves that origin (any port).
  await api.mutate('ehrAdapters.addOrigin', { pattern: 'http://127.0.0.1' });
  const created: Clinic['patients'] = {};
  for (const [key, input] of Object.entries(patients)) created[key] = await api.mutate<{ id: string }>('patients.create', input);
  return { email, password, token, teamId: team.id, api, patients: created };
}
