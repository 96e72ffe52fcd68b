import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, demoToolsOn, loadConfig } from '../../src/config.js';
import { type ApiClient, errorOf, orgWithStaff, signUp, smsClinic, startTestServer, type TestServer, uniqueEmail, waitFor } from '../harness.js';

/**
 * Issue 9, item 2: the Dev mailbox held every reset link and answered without sign-in, so
 * "request a reset for the owner, read the mailbox" took over any account. Now it is signed-in
 * only, per person, and the demo tools are off on a public server unless DEMO_TOOLS=on.
 */
describe('Dev mailbox: only your own mail', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  const subjectsFor = async (api: ApiClient) => (await api.devMailbox.list.query({ limit: 200 })).map((m) => `${m.to} | ${m.subject}`);
  const resetMailTo = (email: string) =>
    waitFor(() => server.db.prisma.devMail.findFirst({ where: { to: email, subject: { contains: 'Reset' } }, orderBy: { createdAt: 'desc' } }));

  it('the takeover: a reset requested for the owner is readable by nobody but the owner', async () => {
    const north = await orgWithStaff(server, 'North Clinic');
    const south = await orgWithStaff(server, 'South Clinic');
    // The substring trick: an account whose address is the tail of the owner's.
    const tail = await signUp(server, 'Tail', north.owner.email.slice(north.owner.email.indexOf('.') + 1));
    expect(north.owner.email.endsWith(tail.email)).toBe(true);

    await server.anon.auth.requestPasswordReset.mutate({ email: north.owner.email });
    const reset = await resetMailTo(north.owner.email);

    // Signed out: nothing at all, and clear cannot wipe the evidence.
    expect((await errorOf(server.anon.devMailbox.list.query({ limit: 200 }))).code).toBe('UNAUTHORIZED');
    expect((await errorOf(server.anon.devMailbox.clear.mutate())).code).toBe('UNAUTHORIZED');
    const unauthenticated = await fetch(`${server.url}/trpc/devMailbox.list`);
    expect(unauthenticated.status).toBe(401);
    expect(await unauthenticated.text()).not.toContain('reset-password');

    // Everyone else, in the same org (member, admin) or another (its owner), or by substring: nothing.
    for (const other of [north.member, north.admin, south.owner, south.admin, tail]) {
      const seen = await other.api.devMailbox.list.query({ limit: 200 });
      expect(seen.map((m) => m.id)).not.toContain(reset.id);
      expect(JSON.stringify(seen)).not.toContain('reset-password');
      await other.api.devMailbox.clear.mutate();
    }
    expect(await server.db.prisma.devMail.findUnique({ where: { id: reset.id } })).not.toBeNull();

    // The owner reads it.
    const own = await north.owner.api.devMailbox.list.query({ limit: 200 });
    expect(own.map((m) => m.id)).toContain(reset.id);
  });

  it('signed out, a browser reads only the mail of the sign-up it made (demo mode), never a reset', async () => {
    const north = await orgWithStaff(server, 'Grant Clinic');
    const signUpFrom = async (email: string) => {
      const res = await fetch(`${server.url}/trpc/auth.signUp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: server.url },
        body: JSON.stringify({ json: { name: 'Newcomer', email, password: 'a long enough passphrase' } }),
      });
      expect(res.status).toBe(200);
      const cookie = /caretext_signup_mail=([^;]+)/.exec(res.headers.get('set-cookie') ?? '');
      expect(res.headers.get('set-cookie')).toMatch(/HttpOnly/i);
      return `caretext_signup_mail=${cookie![1]}`;
    };
    const listWith = async (cookie: string) => {
      const res = await fetch(`${server.url}/trpc/devMailbox.list?input=${encodeURIComponent(JSON.stringify({ json: { limit: 200 } }))}`, { headers: { cookie } });
      return { status: res.status, text: await res.text() };
    };

    // A newcomer reads their confirmation link.
    const newcomer = uniqueEmail('newcomer');
    const mine = await signUpFrom(newcomer);
    await waitFor(() => server.db.prisma.devMail.findFirst({ where: { to: newcomer } }));
    const seen = await listWith(mine);
    expect(seen.status).toBe(200);
    expect(seen.text).toContain('/confirm-email/');
    expect(seen.text).not.toContain('grantHash');

    // An attacker "signs up" as the owner, then asks for the owner's reset: the grant shows the
    // harmless "you already have an account" note, never the reset link.
    const attacker = await signUpFrom(north.owner.email);
    await server.anon.auth.requestPasswordReset.mutate({ email: north.owner.email });
    await resetMailTo(north.owner.email);
    await waitFor(() => server.db.prisma.devMail.findFirst({ where: { to: north.owner.email, subject: { contains: 'already have' } } }));
    const stolen = await listWith(attacker);
    expect(stolen.status).toBe(200);
    expect(stolen.text).not.toContain('reset-password');
    expect(stolen.text).not.toContain('/confirm-email/');
    expect(stolen.text).not.toContain(newcomer);
    // A made-up grant shows nothing.
    expect((await listWith('caretext_signup_mail=forged')).text).not.toContain('@');
  });

  it('an admin sees the invites of their org still pending, never other mail to those addresses', async () => {
    const east = await orgWithStaff(server, 'East Clinic');
    const west = await orgWithStaff(server, 'West Clinic');
    // West's owner invites East's owner, then asks for East's owner's password reset: if invites
    // made every mail to the invitee visible, that would be a takeover again.
    await west.owner.api.members.invite.mutate({ email: east.owner.email, role: 'member' });
    await server.anon.auth.requestPasswordReset.mutate({ email: east.owner.email });
    const reset = await resetMailTo(east.owner.email);
    const pending = uniqueEmail('pending');
    await east.owner.api.members.invite.mutate({ email: pending, role: 'member' });
    await waitFor(() => server.db.prisma.devMail.findFirst({ where: { to: pending } }));

    const westAdmin = await subjectsFor(west.admin.api);
    expect(westAdmin).toContain(`${east.owner.email} | West Clinic Owner invited you to West Clinic on CareText`);
    expect((await west.admin.api.devMailbox.list.query({ limit: 200 })).map((m) => m.id)).not.toContain(reset.id);

    const eastAdmin = await subjectsFor(east.admin.api);
    expect(eastAdmin).toContain(`${pending} | East Clinic Owner invited you to East Clinic on CareText`);
    // Accepted invites (the admin's and member's own) are not pending any more: only the recipient sees them.
    expect(eastAdmin.filter((s) => s.includes('invited you to East Clinic')).map((s) => s.split(' | ')[0])).toEqual([pending, east.admin.email]);
    // A plain member sees no invites but their own, and West's admin none of East's.
    expect((await subjectsFor(east.member.api)).every((s) => s.startsWith(east.member.email))).toBe(true);
    expect(westAdmin.some((s) => s.includes('East Clinic'))).toBe(false);
  });

  it('port-in requests (to the support address) reach only the requesting org’s admins', async () => {
    const clinic = await smsClinic(server, '+14155550171', 'Port Clinic');
    const other = await orgWithStaff(server, 'Other Clinic');
    const support = await signUp(server, 'Support Impostor', 'support@caretext.local');
    await clinic.owner.api.numbers.requestPort.mutate({ phoneNumber: '(312) 555-0142', currentCarrier: 'Acme Telecom', authorizedName: 'Dana Reyes', authorizedEmail: 'dana@clinic.example', accountNumber: '99887766' });
    const mail = await waitFor(() => server.db.prisma.devMail.findFirst({ where: { subject: { contains: 'Port-in request' } } }));
    expect(mail).toMatchObject({ kind: 'port-in', orgId: clinic.org.id });

    for (const admin of [clinic.owner, clinic.admin]) expect((await admin.api.devMailbox.list.query({ limit: 200 })).map((m) => m.id)).toContain(mail.id);
    for (const outsider of [clinic.member, other.owner, support]) {
      const seen = await outsider.api.devMailbox.list.query({ limit: 200 });
      expect(JSON.stringify(seen)).not.toContain('99887766');
    }
  });

  it('clear removes only what the viewer can see', async () => {
    const clinic = await orgWithStaff(server, 'Clear Clinic');
    await server.anon.auth.requestPasswordReset.mutate({ email: clinic.owner.email });
    await server.anon.auth.requestPasswordReset.mutate({ email: clinic.member.email });
    const ownerReset = await resetMailTo(clinic.owner.email);
    const memberReset = await resetMailTo(clinic.member.email);
    await clinic.member.api.devMailbox.clear.mutate();
    expect(await server.db.prisma.devMail.findUnique({ where: { id: memberReset.id } })).toBeNull();
    expect(await server.db.prisma.devMail.findUnique({ where: { id: ownerReset.id } })).not.toBeNull();
  });
});

describe('demo tools are off on a public server unless DEMO_TOOLS=on', () => {
  it('DEMO_TOOLS parses on|off, refuses anything else, and defaults to "PUBLIC_URL is loopback"', () => {
    expect(loadConfig({ DEMO_TOOLS: 'on' }).demoTools).toBe(true);
    expect(loadConfig({ DEMO_TOOLS: 'off' }).demoTools).toBe(false);
    expect(() => loadConfig({ DEMO_TOOLS: 'yes' })).toThrow(ConfigError);
    expect(() => loadConfig({ DEMO_TOOLS: 'yes' })).toThrow('DEMO_TOOLS: must be "on" or "off"');
    for (const url of ['http://localhost:3000', 'http://127.0.0.1:8080', 'http://[::1]:3000']) expect(demoToolsOn(loadConfig({ PUBLIC_URL: url }))).toBe(true);
    for (const url of ['https://caretext.example.com', 'http://192.168.1.20:3000', 'http://localhost.evil.example']) expect(demoToolsOn(loadConfig({ PUBLIC_URL: url }))).toBe(false);
    expect(demoToolsOn(loadConfig({ PUBLIC_URL: 'https://caretext.example.com', DEMO_TOOLS: 'on' }))).toBe(true);
    expect(demoToolsOn(loadConfig({ PUBLIC_URL: 'http://localhost:3000', DEMO_TOOLS: 'off' }))).toBe(false);
  });

  it('on a non-loopback PUBLIC_URL: no mailbox, no "reply as the patient", no inbound control route', async () => {
    const server = await startTestServer({ publicUrl: 'https://caretext.example.com' });
    try {
      const clinic = await smsClinic(server, '+14155550172');
      expect(await clinic.owner.api.devMailbox.enabled.query()).toBe(false);
      expect((await errorOf(clinic.owner.api.devMailbox.list.query({ limit: 10 }))).code).toBe('NOT_FOUND');
      expect(await clinic.owner.api.simulator.enabled.query()).toBe(false);
      expect((await errorOf(clinic.member.api.simulator.replyAsPatient.mutate({ conversationId: clinic.conversationId, body: 'STOP' }))).code).toBe('NOT_FOUND');
      const res = await fetch(`${server.url}/__twilio/__simulator/inbound`, {
        method: 'POST',
        headers: { authorization: `Bearer ${clinic.member.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ from: clinic.patient.phone, to: clinic.number.e164, body: 'STOP' }),
      });
      expect(res.status).toBe(404);
      expect(await server.db.prisma.smsOptOut.count()).toBe(0);
      // Mail is still caught (invites keep working), just not readable.
      expect(await server.db.prisma.devMail.count()).toBeGreaterThan(0);
    } finally {
      await server.stop();
    }
  });

  it('on with DEMO_TOOLS=on, even on a public PUBLIC_URL', async () => {
    const server = await startTestServer({ publicUrl: 'https://caretext.example.com', demoTools: true });
    try {
      const clinic = await smsClinic(server, '+14155550173');
      expect(await clinic.owner.api.devMailbox.enabled.query()).toBe(true);
      expect(await clinic.owner.api.simulator.enabled.query()).toBe(true);
      await clinic.member.api.simulator.replyAsPatient.mutate({ conversationId: clinic.conversationId, body: 'Thanks!' });
    } finally {
      await server.stop();
    }
  });
});
