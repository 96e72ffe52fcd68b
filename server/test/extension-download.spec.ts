import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness.js';

const dist = mkdtempSync(path.join(tmpdir(), 'ct-ext-'));
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ extensionDist: dist });
});
afterAll(async () => {
  await server?.stop();
});

describe.runIf(process.env.TEST_DB !== 'postgres')('"Get the extension" download', () => {
  it('says when the extension is not built, then serves the built one as a zip', async () => {
    expect(await (await fetch(`${server.url}/downloads/extension-info.json`)).json()).toEqual({ available: false });
    const missing = await fetch(`${server.url}/downloads/caretext-extension.zip`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('pnpm build');

    mkdirSync(path.join(dist, 'assets'));
    writeFileSync(path.join(dist, 'manifest.json'), JSON.stringify({ manifest_version: 3, name: 'CareText', version: '0.1.0' }));
    writeFileSync(path.join(dist, 'assets', 'content.js'), 'console.log("sidebar")');
    expect(await (await fetch(`${server.url}/downloads/extension-info.json`)).json()).toMatchObject({ available: true, name: 'CareText', version: '0.1.0' });
    const res = await fetch(`${server.url}/downloads/caretext-extension.zip`);
    expect(res.headers.get('content-type')).toBe('application/zip');
    const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
    expect(Object.keys(files).sort()).toEqual(['assets/content.js', 'manifest.json']);
    expect(new TextDecoder().decode(files['assets/content.js'])).toBe('console.log("sidebar")');
  });
});
