import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../src/http/security-headers.js';
import { jobReaches, smsClinic, startTestServer, TEST_DB, type TestServer, uploadCsv } from '../harness.js';

const WEB_DIST = fileURLToPath(new URL('../../../web/dist', import.meta.url));

/**
 * Issue 9, item 8: security headers on every response, and no caching of anything that may
 * carry patient data (tRPC answers, CSV exports, import reports, phone logs).
 */
describe('security headers', () => {
  let server: TestServer;
  let clinic: Awaited<ReturnType<typeof smsClinic>>;
  beforeAll(async () => {
    server = await startTestServer({ webDist: WEB_DIST });
    clinic = await smsClinic(server, '+14155550191');
  });
  afterAll(async () => {
    await server?.stop();
  });

  const expectBaseline = (res: Response) => {
    expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('strict-transport-security')).toBeNull(); // plain http here
  };
  const bearer = () => ({ authorization: `Bearer ${clinic.owner.token}` });

  it('the staff app: a CSP with no inline script and no framing, and the app has no inline script to need it', async () => {
    const res = await fetch(`${server.url}/inbox`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    expectBaseline(res);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    const html = await res.text();
    for (const script of html.match(/<script\b[^>]*>[\s\S]*?<\/script>/g) ?? []) expect(script).toMatch(/^<script\b[^>]*\bsrc="\/[^"]+"[^>]*><\/script>$/);
    expect(html).not.toMatch(/<style\b|\son[a-z]+=/i);
    expect(readFileSync(`${WEB_DIST}/index.html`, 'utf8')).toBe(html);
  });

  it('every tRPC answer (queries, mutations, errors) is no-store', async () => {
    for (const res of [
      await fetch(`${server.url}/trpc/patients.list?input=${encodeURIComponent(JSON.stringify({ json: {} }))}`, { headers: bearer() }),
      await fetch(`${server.url}/trpc/auth.me`),
      await fetch(`${server.url}/trpc/orgs.regenerateJoinCode`, { method: 'POST', headers: { ...bearer(), 'content-type': 'application/json' }, body: '{}' }),
      await fetch(`${server.url}/trpc/nope.nothing`),
    ]) {
      expectBaseline(res);
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('CSV exports: the import report and the phone log are no-store', async () => {
    const upload = await uploadCsv(server, clinic.owner.token, 'first_name,last_name,dob,phone\nAmina,Patel,1985-03-14,+14155550100\n');
    await jobReaches(clinic.owner.api, upload.body.jobId!, ['ready', 'invalid', 'failed']);
    const report = await fetch(`${server.url}/api/imports/${upload.body.jobId}/report.csv`, { headers: bearer() });
    const log = await fetch(`${server.url}/api/numbers/${clinic.number.id}/phone-log.csv`, { headers: bearer() });
    for (const res of [report, log]) {
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/csv');
      expectBaseline(res);
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('static assets keep their own caching, with the same security headers', async () => {
    const html = readFileSync(`${WEB_DIST}/index.html`, 'utf8');
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
    const res = await fetch(`${server.url}${asset}`);
    expect(res.status).toBe(200);
    expectBaseline(res);
    expect(res.headers.get('cache-control')).toMatch(/max-age=\d+/);
  });

  it('health checks tell an anonymous caller the state and timings only: no database URL, host, driver or error text', async () => {
    const health = await fetch(`${server.url}/health`);
    expectBaseline(health);
    const body = (await health.json()) as Record<string, unknown>;
    expect(body).toEqual({ ok: true, state: 'ready', database: { ok: true, latencyMs: expect.any(Number) }, events: { kind: TEST_DB === 'postgres' ? 'postgres-notify' : 'in-process', ok: true } });
    const ready = await fetch(`${server.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(Object.keys((await ready.json()) as object).sort()).toEqual(['database', 'events', 'ready', 'state']);
  });

  it('HSTS when PUBLIC_URL is https', async () => {
    const https = await startTestServer({ publicUrl: 'https://caretext.example.com' });
    try {
      const res = await fetch(`${https.url}/health`);
      expect(res.headers.get('strict-transport-security')).toMatch(/^max-age=\d{7,}/);
      expect(res.headers.get('x-frame-options')).toBe('DENY');
    } finally {
      await https.stop();
    }
  });
});
