import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../src/http/security-headers.js';
import { startTestServer, type TestServer } from './harness.js';

const WEB_DIST = fileURLToPath(new URL('../../web/dist', import.meta.url));

type Chunk = { file: string; isEntry?: boolean; imports?: string[]; dynamicImports?: string[] };

/**
 * Issue 10, "Web app size": the web app is split by route (web/src/lazyPage.tsx). Its chunks are
 * served with the security headers (script-src 'self' allows them: no inline script), cached for
 * good (their names change with their content), while index.html, which names the current
 * chunks, is never stored; a chunk gone after a deploy is a 404, never index.html.
 */
describe('serving the split web app', () => {
  let server: TestServer;
  let manifest: Record<string, Chunk>;
  beforeAll(async () => {
    server = await startTestServer({ webDist: WEB_DIST });
    manifest = JSON.parse(readFileSync(`${WEB_DIST}/.vite/manifest.json`, 'utf8')) as Record<string, Chunk>;
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('index.html is no-store on every path it is served at, and names only the entry script (no inline script)', async () => {
    const entry = manifest['index.html']!;
    for (const url of ['/', '/sign-in', '/inbox/c1', '/index.html']) {
      const res = await fetch(`${server.url}${url}`, { headers: { accept: 'text/html' } });
      expect(res.status, url).toBe(200);
      expect(res.headers.get('cache-control'), url).toBe('no-store');
      expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
      const html = await res.text();
      expect(html.match(/<script\b[^>]*>[\s\S]*?<\/script>/g)).toEqual([`<script type="module" crossorigin src="/${entry.file}"></script>`]);
    }
  });

  it('the patient portal (portal.html, its own entry) is served at /p/<token>, no-store, under the same CSP', async () => {
    const entry = manifest['portal.html']!;
    expect(entry.isEntry).toBe(true);
    for (const url of ['/p/abcDEF123_-xyz', '/p/abcDEF123_-xyz/']) {
      const res = await fetch(`${server.url}${url}`, { headers: { accept: 'text/html' } });
      expect(res.status, url).toBe(200);
      expect(res.headers.get('cache-control'), url).toBe('no-store');
      expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      const html = await res.text();
      expect(html.match(/<script\b[^>]*>[\s\S]*?<\/script>/g)).toEqual([`<script type="module" crossorigin src="/${entry.file}"></script>`]);
    }
    // Deeper paths are not the portal.
    expect(await (await fetch(`${server.url}/p/abc/def`, { headers: { accept: 'text/html' } })).text()).toContain(manifest['index.html']!.file);
  });

  it("every page's chunk is its own file, served as JavaScript, cached for a year, under the same CSP", async () => {
    const pages = Object.entries(manifest).filter(([key]) => key.startsWith('src/pages/'));
    // Split by route: the sign-in page and the Inbox are separate chunks, loaded on demand.
    expect(pages.map(([key]) => key)).toEqual(expect.arrayContaining(['src/pages/auth/SignInPage.tsx', 'src/pages/inbox/InboxPage.tsx']));
    const entryKey = 'index.html';
    expect(manifest[entryKey]!.dynamicImports).toEqual(expect.arrayContaining(['src/pages/auth/SignInPage.tsx', 'src/pages/inbox/InboxPage.tsx']));
    const files = new Set(Object.values(manifest).map((c) => c.file).filter((f) => f.endsWith('.js')));
    expect(files.size).toBeGreaterThan(5);
    for (const file of files) {
      const res = await fetch(`${server.url}/${file}`, { headers: { accept: '*/*' } });
      expect(res.status, file).toBe(200);
      expect(res.headers.get('content-type'), file).toMatch(/javascript/);
      expect(res.headers.get('cache-control'), file).toBe('public, max-age=31536000, immutable');
      expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('a chunk that is gone (an old tab after a deploy) is a 404, not index.html, and is not cached', async () => {
    const res = await fetch(`${server.url}/assets/InboxPage-0ld0ld00.js`, { headers: { accept: '*/*' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).not.toMatch(/html|javascript/);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('the build manifest is not served', async () => {
    const res = await fetch(`${server.url}/.vite/manifest.json`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(404);
  });
});
