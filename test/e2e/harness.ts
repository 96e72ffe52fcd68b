import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterEach, expect, inject } from 'vitest';
import type * as ConfigModule from '../../server/src/config.ts';
import type * as ServerModule from '../../server/src/server.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SERVER_DIST = path.join(ROOT, 'server/dist');
const WEB_DIST = path.join(ROOT, 'web/dist');

/** The flags Debian Chromium needs in containers and CI (see ../shared/recipes/EXTENSION.md). */
const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export type RunningApp = {
  url: string;
  server: ServerModule.RunningServer;
  close(): Promise<void>;
};

/** A port nobody uses right now, so PUBLIC_URL (and the links in invite emails) can name it. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * The real server, built (`pnpm build`), in this process: its own PGlite directory (or
 * TEST_E2E_DATABASE_URL), the embedded mail sink, and the built web app at `/`.
 */
export async function startApp(): Promise<RunningApp> {
  for (const [what, file] of [
    ['server', path.join(SERVER_DIST, 'server.js')],
    ['web app', path.join(WEB_DIST, 'index.html')],
  ] as const) {
    if (!existsSync(file)) throw new Error(`The ${what} is not built (${file} is missing). Run \`pnpm build\` first.`);
  }
  const { startServer } = (await import(pathToFileURL(path.join(SERVER_DIST, 'server.js')).href)) as typeof ServerModule;
  const { loadConfig } = (await import(pathToFileURL(path.join(SERVER_DIST, 'config.js')).href)) as typeof ConfigModule;

  const dataDir = await mkdtemp(path.join(tmpdir(), 'caretext-e2e-'));
  // A copy of the migrated empty database global-setup.ts made, instead of creating one.
  const template = inject('pgliteDataDir');
  if (template && !process.env.TEST_E2E_DATABASE_URL) await cp(template, path.join(dataDir, 'pglite'), { recursive: true });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = loadConfig(
    { DATABASE_URL: process.env.TEST_E2E_DATABASE_URL },
    { port, host: '127.0.0.1', dataDir, webDist: WEB_DIST, seedDemo: false, publicUrl: url, smtpUrl: null },
  );
  const server = await startServer(config, { logger: false });
  return {
    url,
    server,
    async close() {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Debian's Chromium: CHROMIUM_PATH, else on PATH, else installed with apt-get when we are root. */
export function chromiumPath(): string {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  const which = () => {
    for (const name of ['chromium', 'chromium-browser']) {
      try {
        const found = execFileSync('which', [name], { encoding: 'utf8' }).trim();
        if (found) return found;
      } catch {
        // not on PATH under this name
      }
    }
    return null;
  };
  const found = which();
  if (found) return found;
  if (process.getuid?.() === 0) {
    console.log('[e2e] Chromium not found; installing it with apt-get (Debian package "chromium")…');
    execFileSync('apt-get', ['update'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', 'chromium'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    const installed = which();
    if (installed) return installed;
  }
  throw new Error(
    'The e2e tests need Chromium and none was found. Install it with `sudo apt-get install -y chromium` ' +
      '(or set CHROMIUM_PATH to a Chromium binary) and run the tests again.',
  );
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_FLAGS });
}

/**
 * Content Security Policy violations the browser reported in any page of any profile: the app
 * must run under its CSP (server/src/http/security-headers.ts), so every test fails on one.
 */
const cspViolations: string[] = [];
afterEach(() => {
  expect(cspViolations.splice(0), 'Content Security Policy violations').toEqual([]);
});

/** A fresh browser profile (its own cookies): one per person in a test. */
export async function openAs(browser: Browser, app: RunningApp): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL: app.url, viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(15_000);
  context.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(`${message.location().url}: ${message.text()}`);
  });
  const page = await context.newPage();
  return { context, page };
}
