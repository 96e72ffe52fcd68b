import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orgWithStaff, startTestServer, type TestServer } from '../harness.js';
import { trpcFetch, webCookie } from './http-helpers.js';

/**
 * Issue 9, item 7: a cross-site HTML form could run mutations with the staff member's cookie
 * (multipart/form-data was accepted, Origin never checked). Now a cookie-carrying state change
 * must come from our own origin, and tRPC mutations take application/json only.
 */
describe('CSRF', () => {
  let server: TestServer;
  let staff: Awaited<ReturnType<typeof orgWithStaff>>;
  let ownerCookie: string;
  let memberCookie: string;
  beforeAll(async () => {
    server = await startTestServer();
    staff = await orgWithStaff(server, 'Forgery Clinic');
    await staff.owner.api.plan.checkout.mutate({ plan: 'sms' });
    ownerCookie = await webCookie(server, staff.owner.email);
    memberCookie = await webCookie(server, staff.member.email);
  });
  afterAll(async () => {
    await server?.stop();
  });

  const state = async () => {
    const org = await server.db.prisma.org.findUniqueOrThrow({ where: { id: staff.org.id } });
    return { joinCode: org.joinCode, plan: org.plan, members: await server.db.prisma.membership.count({ where: { orgId: staff.org.id } }) };
  };

  const multipart = () => {
    const form = new FormData();
    form.set('json', 'null');
    return form;
  };
  const attacks: [string, () => { headers: Record<string, string>; body: RequestInit['body'] }][] = [
    ['multipart form, foreign Origin', () => ({ headers: { origin: 'https://evil.example' }, body: multipart() })],
    ['urlencoded form, foreign Origin', () => ({ headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' }, body: 'json=null' })],
    ['text/plain form, no Origin, Sec-Fetch-Site: cross-site', () => ({ headers: { 'sec-fetch-site': 'cross-site', 'content-type': 'text/plain' }, body: '{}' })],
    ['JSON, Origin: null (sandboxed frame)', () => ({ headers: { origin: 'null', 'content-type': 'application/json' }, body: '{}' })],
    ['JSON, no Origin, Sec-Fetch-Site: same-site (a sibling subdomain)', () => ({ headers: { 'sec-fetch-site': 'same-site', 'content-type': 'application/json' }, body: '{}' })],
  ];
  const procedures = [
    ['orgs.regenerateJoinCode', () => ownerCookie],
    ['members.leave', () => memberCookie],
    ['plan.cancel', () => ownerCookie],
  ] as const;

  describe.each(procedures)('%s', (path, cookie) => {
    it.each(attacks)('refuses a cross-site request (%s) and changes nothing', async (_name, attack) => {
      const before = await state();
      const { headers, body } = attack();
      const res = await trpcFetch(server, path, { headers: { ...headers, cookie: cookie() }, body });
      expect(res.status).toBe(403);
      expect(res.text).toContain('another website');
      expect(await state()).toEqual(before);
    });

    it('refuses the same request from our own origin when it is not JSON (415)', async () => {
      const before = await state();
      for (const body of [multipart(), 'json=null']) {
        const headers: Record<string, string> = { origin: server.url, cookie: cookie() };
        if (typeof body === 'string') headers['content-type'] = 'application/x-www-form-urlencoded';
        expect((await trpcFetch(server, path, { headers, body })).status).toBe(415);
      }
      expect((await trpcFetch(server, path, { headers: { origin: server.url, cookie: cookie(), 'content-type': 'text/plain' }, body: '{}' })).status).toBe(415);
      expect(await state()).toEqual(before);
    });
  });

  it('the same mutations work from the app’s own origin', async () => {
    const before = await state();
    const own = (cookie: string) => ({ headers: { origin: server.url, 'sec-fetch-site': 'same-origin', cookie, 'content-type': 'application/json' } });
    expect((await trpcFetch(server, 'orgs.regenerateJoinCode', own(ownerCookie))).status).toBe(200);
    expect((await state()).joinCode).not.toBe(before.joinCode);
    expect((await trpcFetch(server, 'plan.cancel', own(ownerCookie))).status).toBe(200);
    expect((await state()).plan).toBe('free');
    // No Origin but Sec-Fetch-Site: same-origin is our own page too.
    const leave = await trpcFetch(server, 'members.leave', { headers: { 'sec-fetch-site': 'same-origin', cookie: memberCookie, 'content-type': 'application/json' } });
    expect(leave.status).toBe(200);
    expect((await state()).members).toBe(before.members - 1);
  });

  it('bearer-token requests (the extension) are not CSRF-able and stay allowed from chrome-extension://', async () => {
    const before = await state();
    const res = await trpcFetch(server, 'orgs.regenerateJoinCode', {
      headers: { authorization: `Bearer ${staff.owner.token}`, origin: 'chrome-extension://abcdefghijklmnopabcdefghijklmnop', 'content-type': 'application/json' },
    });
    expect(res.status).toBe(200);
    expect((await state()).joinCode).not.toBe(before.joinCode);
  });

  it('a cross-site upload with the cookie is refused and creates no import', async () => {
    const res = await fetch(`${server.url}/api/imports/patients?name=p.csv`, {
      method: 'POST',
      headers: { cookie: ownerCookie, origin: 'https://evil.example', 'content-type': 'text/plain' },
      body: 'first_name,last_name,dob,phone\nEve,Forger,1980-01-01,+14155550123\n',
    });
    expect(res.status).toBe(403);
    expect(await server.db.prisma.importJob.count({ where: { orgId: staff.org.id } })).toBe(0);
  });

  it('the session cookie is httpOnly and SameSite=Lax', async () => {
    const res = await trpcFetch(server, 'auth.signIn', { headers: { 'content-type': 'application/json', origin: server.url }, input: { email: staff.owner.email, password: 'correct horse battery', client: 'web' } });
    expect(res.headers.get('set-cookie')).toMatch(/HttpOnly/i);
    expect(res.headers.get('set-cookie')).toMatch(/SameSite=(Lax|Strict)/i);
  });
});
