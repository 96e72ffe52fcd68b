import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { errorOf, joinAs, smsClinic, startTestServer, type TestServer, waitFor } from '../harness.js';
import { SendWorker } from '../../src/messages/send-worker.js';
import { type Clinic, nextTokenFromSms, PortalBrowser, sendSecure } from '../portal/portal-helpers.js';

/**
 * Issue 12, the patient portal and Secure Chat: a hostile page, an unauthenticated caller,
 * another org's staff, a plain member off the team, and a patient holding someone else's link.
 */
// Each test sets up whole clinics (sign-ups, a number, a patient) and waits for the carrier: slow
// on a loaded machine, so more room than the default (waits inside are bounded, never sleeps).
vi.setConfig({ testTimeout: 180_000, hookTimeout: 120_000 });

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

let phoneCounter = 4700;
const nextPhone = () => `+1415555${String(phoneCounter++).padStart(4, '0')}`;

async function clinic(name: string): Promise<Clinic> {
  const c = await smsClinic(server, nextPhone(), name);
  await c.owner.api.orgs.updatePolicies.mutate({ secureLinkExpiryHours: 72, quietHoursEnabled: false, quietHoursStart: '20:00', quietHoursEnd: '08:00', smsAllowed: true, externalChatAllowed: false });
  return c;
}

describe('Secure Chat staff procedures', () => {
  it('refuse signed-out callers, other orgs and members off the team', async () => {
    const a = await clinic('Org A Clinic');
    const b = await clinic('Org B Clinic');
    const send = { conversationId: a.conversationId, body: 'Results', channel: 'secure' as const };
    expect((await errorOf(server.anon.conversations.send.mutate(send))).code).toBe('UNAUTHORIZED');
    expect((await errorOf(server.anon.portal.resendLink.mutate({ conversationId: a.conversationId }))).code).toBe('UNAUTHORIZED');
    expect((await errorOf(b.member.api.conversations.send.mutate(send))).code).toBe('NOT_FOUND');
    expect((await errorOf(b.member.api.conversations.send.mutate({ teamId: b.team.id, patientId: a.patient.id, body: 'x', channel: 'secure' }))).code).toBe('NOT_FOUND');
    expect((await errorOf(b.member.api.portal.resendLink.mutate({ conversationId: a.conversationId }))).code).toBe('NOT_FOUND');
    // A member of org A who is not on the team.
    const outsider = await joinAs(server, a.owner, 'member', 'Off Team');
    expect((await errorOf(outsider.api.conversations.send.mutate(send))).code).toBe('FORBIDDEN');
    expect((await errorOf(outsider.api.portal.resendLink.mutate({ conversationId: a.conversationId }))).code).toBe('FORBIDDEN');
    expect(await server.db.prisma.message.count({ where: { channel: 'secure' } })).toBe(0);
    expect(await server.db.prisma.portalLink.count({ where: { conversationId: a.conversationId } })).toBe(0);
  });
});

describe('the portal API', () => {
  it("a verified patient's device opens nothing of someone else's link, and a link shows only its own conversation's secure messages", async () => {
    const a = await clinic('Link Clinic A');
    const b = await clinic('Link Clinic B');
    // Both orgs' patients share the date of birth (smsClinic); org B writes its own patient.
    const { token: tokenA } = await sendSecure(server, a, 'Org A: your MRI is normal.');
    await a.member.api.conversations.send.mutate({ conversationId: a.conversationId, body: 'Org A plain SMS reminder.' });
    const { token: tokenB } = await sendSecure(server, b, 'Org B: your X-ray is fine.');
    // Another patient of org A, on the same team.
    const other = await a.member.api.patients.create.mutate({ firstName: 'Omar', lastName: 'Said', phone: nextPhone(), dob: '1985-03-14' });
    const { token: otherToken } = await sendSecure(server, a, 'Omar: your results.', other);

    const phone = new PortalBrowser(server);
    expect((await phone.verify(tokenA, '1985-03-14')).body.state).toBe('verified');
    const view = await phone.conversation(tokenA);
    expect(view.body.messages.map((m: { body: string }) => m.body)).toEqual(['Org A: your MRI is normal.']);
    expect(JSON.stringify(view.body)).not.toMatch(/Org B|X-ray|Omar|plain SMS|You have a new secure message/);
    // Verified for Amina at org A: Omar's link and org B's link still ask for a date of birth.
    expect((await phone.conversation(otherToken)).body).toMatchObject({ state: 'verify' });
    expect((await phone.reply(otherToken, 'hi')).body).toMatchObject({ state: 'verify' });
    expect((await phone.conversation(tokenB)).body).toEqual({ state: 'verify', org: b.org.name, triesLeft: 3 });
    expect(await server.db.prisma.message.count({ where: { direction: 'inbound', channel: 'secure' } })).toBe(0);
  });

  it("the version poll (recalls reach the page through it) answers only a verified device on its own live link: never another link's, another org's, an unverified, a locked, replaced or expired one", async () => {
    const a = await clinic('Poll Clinic A');
    const b = await clinic('Poll Clinic B');
    const { token } = await sendSecure(server, a, 'Poll: your results.');
    const { token: tokenB } = await sendSecure(server, b, 'Org B poll.');
    const omar = await a.member.api.patients.create.mutate({ firstName: 'Omar', lastName: 'Said', phone: nextPhone(), dob: '1985-03-14' });
    const { token: omarToken } = await sendSecure(server, a, 'Omar poll.', omar);
    const phone = new PortalBrowser(server);
    expect((await phone.verify(token, '1985-03-14')).body.state).toBe('verified');
    const own = await phone.post('version', { token });
    expect(own.body).toEqual({ state: 'version', version: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/) });
    // Amina's verified device on Omar's link and on org B's: asked for a date of birth, no version.
    expect((await phone.post('version', { token: omarToken })).body).toEqual({ state: 'verify', org: a.org.name, triesLeft: 3 });
    expect((await phone.post('version', { token: tokenB })).body).toEqual({ state: 'verify', org: b.org.name, triesLeft: 3 });
    // No device, or a forged one.
    const stranger = new PortalBrowser(server);
    expect((await stranger.post('version', { token })).body).toEqual({ state: 'verify', org: a.org.name, triesLeft: 3 });
    stranger.cookie = 'caretext_portal_device=forged-forged-forged-forged-forged-forged-123';
    expect((await stranger.post('version', { token })).body.state).toBe('verify');
    expect((await new PortalBrowser(server).post('version', { token: 'A'.repeat(43) })).body).toEqual({ state: 'not_found' });
    // Polling is not an open: no audit event per poll.
    const opens = await server.db.prisma.auditEvent.count({ where: { orgId: a.org.id, action: 'portal.opened' } });
    await phone.post('version', { token });
    expect(await server.db.prisma.auditEvent.count({ where: { orgId: a.org.id, action: 'portal.opened' } })).toBe(opens);

    // Someone else locks the link with 3 wrong dates: the verified device's poll says locked.
    const guesser = new PortalBrowser(server);
    for (const dob of ['1990-01-01', '1990-01-02', '1990-01-03']) await guesser.verify(token, dob);
    expect((await phone.post('version', { token })).body).toMatchObject({ state: 'locked' });
    // Replaced by a resend: the old link's poll says so.
    const { token: fresh } = await nextTokenFromSms(server, a.patient.phone!, () => a.member.api.portal.resendLink.mutate({ conversationId: a.conversationId }));
    expect((await phone.post('version', { token })).body).toEqual({ state: 'replaced', org: a.org.name });
    expect((await phone.post('version', { token: fresh })).body.state).toBe('version');
    // Expired.
    await server.db.prisma.portalLink.updateMany({ where: { conversationId: a.conversationId, replacedAt: null }, data: { expiresAt: new Date(server.clock.now().getTime() - 1000) } });
    expect((await phone.post('version', { token: fresh })).body).toEqual({ state: 'expired', org: a.org.name });
  });

  it('an unverified caller gets no messages and cannot reply; garbage tokens are not found, never a 500', async () => {
    const a = await clinic('Unverified Clinic');
    const { token } = await sendSecure(server, a, 'Your pathology report.');
    const stranger = new PortalBrowser(server);
    expect((await stranger.conversation(token)).body).toEqual({ state: 'verify', org: a.org.name, triesLeft: 3 });
    expect((await stranger.reply(token, 'let me in')).body.state).toBe('verify');
    // A forged device cookie is just not a device.
    stranger.cookie = 'caretext_portal_device=forged-forged-forged-forged-forged-forged-123';
    expect((await stranger.conversation(token)).body.state).toBe('verify');
    for (const bad of ['x', 'A'.repeat(43), 'A'.repeat(150), '../../etc/passwd']) {
      const res = await new PortalBrowser(server).open(bad);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ state: 'not_found' });
    }
    expect((await new PortalBrowser(server).post('open', { token: 12 })).status).toBe(400);
    expect((await new PortalBrowser(server).post('verify', { token, dob: { $gt: '' } })).body).toMatchObject({ state: 'wrong' });
    expect(await server.db.prisma.message.count({ where: { conversationId: a.conversationId, direction: 'inbound' } })).toBe(0);
  });

  it('a hostile page cannot post a form to the portal API (JSON only), and the device cookie is SameSite=Strict on /api/portal', async () => {
    const a = await clinic('Hostile Clinic');
    const { token } = await sendSecure(server, a, 'Private.');
    for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x']) {
      const res = await fetch(`${server.url}/api/portal/verify`, { method: 'POST', headers: { 'content-type': type, origin: 'https://evil.example' }, body: `token=${token}&dob=1985-03-14` });
      expect(res.status).toBe(415);
    }
    expect((await server.db.prisma.portalLink.findFirstOrThrow({ where: { conversationId: a.conversationId, replacedAt: null } })).failedAttempts).toBe(0);
    const ok = await new PortalBrowser(server).verify(token, '1985-03-14');
    expect(ok.setCookie).toContain('HttpOnly');
    expect(ok.setCookie).toContain('SameSite=Strict');
    expect(ok.setCookie).toContain('Path=/api/portal');
    // Unknown portal routes answer JSON, not the staff app.
    const page = await fetch(`${server.url}/api/portal/nothing`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(page.status).toBe(404);
  });
});

describe('the portal link in the notification SMS', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  /** Every row of every table (the message history included), as text: where a token in clear would show. */
  async function rowsHolding(secret: string): Promise<string[]> {
    const tables = await server.db.sql.query<{ name: string }>(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`);
    const found: string[] = [];
    for (const { name } of tables) {
      const [hit] = await server.db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${name}" t WHERE t::text LIKE $1`, [`%${secret}%`]);
      if (hit!.n) found.push(name);
    }
    return found;
  }

  it('no usable token is in the database at any time: queued, the notice holds a placeholder; the link is made as it is sent, stored only as a hash', async () => {
    const c = await clinic('Token Clinic');
    // Every version of every message row ever written, kept: a token stored even for a moment shows.
    await server.db.sql.query(`CREATE TABLE message_history (row text)`);
    await server.db.sql.query(`CREATE FUNCTION keep_message_history() RETURNS trigger AS $$ BEGIN INSERT INTO message_history VALUES (NEW::text); RETURN NEW; END $$ LANGUAGE plpgsql`);
    await server.db.sql.query(`CREATE TRIGGER keep_message_history AFTER INSERT OR UPDATE ON "Message" FOR EACH ROW EXECUTE FUNCTION keep_message_history()`);
    cleanups.push(async () => {
      await server.db.sql.query(`DROP TRIGGER IF EXISTS keep_message_history ON "Message"`);
      await server.db.sql.query(`DROP FUNCTION IF EXISTS keep_message_history()`);
      await server.db.sql.query(`DROP TABLE IF EXISTS message_history`);
    });
    // Quiet hours all day: the notice waits in the queue.
    await c.owner.api.orgs.updatePolicies.mutate({ secureLinkExpiryHours: 72, quietHoursEnabled: true, quietHoursStart: '00:00', quietHoursEnd: '23:59', smsAllowed: true, externalChatAllowed: false });
    const sent = await c.member.api.conversations.send.mutate({ conversationId: c.conversationId, body: 'Your biopsy result.', channel: 'secure' });
    expect(sent.notification).toMatchObject({ via: 'sms' });
    const notice = await server.db.prisma.message.findFirstOrThrow({ where: { conversationId: c.conversationId, autoReply: 'portal_link' } });
    expect(notice).toMatchObject({ status: 'queued', body: `Token Clinic: You have a new secure message. Open ${server.url}/p/(link sent to the patient)` });
    // No link exists yet that anything could open.
    expect(await server.db.prisma.portalLink.count({ where: { conversationId: c.conversationId, replacedAt: null } })).toBe(0);

    // Quiet hours end: the worker sends it, with a link made at that moment.
    const { token, body } = await nextTokenFromSms(server, c.patient.phone!, async () => {
      await server.db.prisma.message.update({ where: { id: notice.id }, data: { sendAfter: null } });
      server.app.get(SendWorker).wake();
    });
    expect(body).toBe(`Token Clinic: You have a new secure message. Open ${server.url}/p/${token}`);
    expect((await new PortalBrowser(server).open(token)).body.state).toBe('verify');
    const stored = await waitFor(async () => {
      const m = await server.db.prisma.message.findUniqueOrThrow({ where: { id: notice.id } });
      return m.carrierSid ? m : null;
    });
    expect(stored.body).toBe(notice.body);
    expect(await rowsHolding(token)).toEqual([]);

    // "Resend link": the new text's link works, the earlier one no longer does; neither is stored.
    const { token: again } = await nextTokenFromSms(server, c.patient.phone!, async () => {
      await c.owner.api.orgs.updatePolicies.mutate({ secureLinkExpiryHours: 72, quietHoursEnabled: false, quietHoursStart: '20:00', quietHoursEnd: '08:00', smsAllowed: true, externalChatAllowed: false });
      await c.member.api.portal.resendLink.mutate({ conversationId: c.conversationId });
    });
    expect((await new PortalBrowser(server).open(again)).body.state).toBe('verify');
    expect((await new PortalBrowser(server).open(token)).body.state).toBe('replaced');
    expect(await rowsHolding(again)).toEqual([]);
    expect(await server.db.prisma.portalLink.count({ where: { conversationId: c.conversationId, replacedAt: null } })).toBe(1);
  });
});
