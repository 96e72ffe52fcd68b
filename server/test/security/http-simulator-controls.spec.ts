import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orgWithStaff, smsClinic, startTestServer, type TestServer } from '../harness.js';
import { webCookie } from './http-helpers.js';

/**
 * Issue 9, item 5: `POST /__twilio/__simulator/inbound` let anyone text "STOP" as any patient.
 * Now it needs a signed-in session of the org that owns the number; the Twilio REST emulation
 * beside it needs the simulator's account credentials, as Twilio's does.
 */
describe('simulator control routes', () => {
  let server: TestServer;
  let clinic: Awaited<ReturnType<typeof smsClinic>>;
  let outsider: Awaited<ReturnType<typeof orgWithStaff>>;
  beforeAll(async () => {
    server = await startTestServer();
    clinic = await smsClinic(server, '+14155550181');
    outsider = await orgWithStaff(server, 'Elsewhere Clinic');
  });
  afterAll(async () => {
    await server?.stop();
  });

  const inbound = (headers: Record<string, string>, body = 'STOP') =>
    fetch(`${server.url}/__twilio/__simulator/inbound`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ from: clinic.patient.phone, to: clinic.number.e164, body }),
    });
  const nothingChanged = async () => {
    expect(await server.db.prisma.smsOptOut.count()).toBe(0);
    expect(server.simulator!.isOptedOut(clinic.number.e164, clinic.patient.phone!)).toBe(false);
    expect(await server.db.prisma.message.count({ where: { direction: 'inbound' } })).toBe(0);
  };

  it('refuses a fake inbound STOP without a session (401) and records nothing', async () => {
    const res = await inbound({});
    expect(res.status).toBe(401);
    const form = await fetch(`${server.url}/__twilio/__simulator/inbound`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ from: clinic.patient.phone!, to: clinic.number.e164, body: 'STOP' }),
    });
    expect(form.status).toBe(401);
    await nothingChanged();
  });

  it('refuses another organization’s member, by token or by cookie (403), and records nothing', async () => {
    expect((await inbound({ authorization: `Bearer ${outsider.owner.token}` })).status).toBe(403);
    const cookie = await webCookie(server, outsider.member.email);
    expect((await inbound({ cookie, origin: server.url })).status).toBe(403);
    await nothingChanged();
  });

  it('answers a member of the org that owns the number', async () => {
    const res = await inbound({ authorization: `Bearer ${clinic.member.token}` });
    expect(res.status).toBe(200);
    await server.simulator!.settle();
    expect(server.simulator!.isOptedOut(clinic.number.e164, clinic.patient.phone!)).toBe(true);
  });

  it('the Twilio REST emulation checks the account credentials', async () => {
    const sent = server.simulator!.messages().length;
    const accountSid = `AC${'0'.repeat(32)}`;
    const form = new URLSearchParams({ To: '+14155550199', From: clinic.number.e164, Body: 'forged' });
    for (const authorization of [undefined, `Basic ${Buffer.from(`${accountSid}:wrong-token-wrong-token`).toString('base64')}`, `Bearer ${clinic.owner.token}`]) {
      const res = await fetch(`${server.url}/__twilio/2010-04-01/Accounts/${accountSid}/Messages.json`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization ? { authorization } : {}) },
        body: form,
      });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { code: number }).code).toBe(20003);
    }
    const list = await fetch(`${server.url}/__twilio/2010-04-01/Accounts/${accountSid}/AvailablePhoneNumbers/US/Local.json?AreaCode=415`);
    expect(list.status).toBe(401);
    expect(server.simulator!.messages().length).toBe(sent);
  });

  it('"reply as the patient" (tRPC) stays within the conversation’s org', async () => {
    const res = await outsider.owner.api.simulator.replyAsPatient.mutate({ conversationId: clinic.conversationId, body: 'STOP' }).catch((e: Error) => e);
    expect(res).toBeInstanceOf(Error);
  });
});
