import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { errorOf, smsClinic, startTestServer, type TestServer, waitFor } from '../harness.js';
import { AccessService } from '../../src/access/access.service.js';
import { SecureChatService } from '../../src/portal/secure-chat.service.js';
import { type Clinic, nextTokenFromSms, PortalBrowser, sendSecure } from './portal-helpers.js';

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

let phoneCounter = 4100;
const nextPhone = () => `+1415555${String(phoneCounter++).padStart(4, '0')}`;
const HOUR = 3_600_000;

/** A clinic whose quiet hours never hold the notification back. */
async function clinic(): Promise<Clinic> {
  const c = await smsClinic(server, nextPhone(), `Clinic ${phoneCounter}`);
  await c.owner.api.orgs.updatePolicies.mutate({ secureLinkExpiryHours: 72, quietHoursEnabled: false, quietHoursStart: '20:00', quietHoursEnd: '08:00', smsAllowed: true, externalChatAllowed: false });
  return c;
}

describe('Secure Chat: staff send and notification', () => {
  it('stores the message in the patient thread and texts a link with no content; the token is never stored in clear', async () => {
    const c = await clinic();
    const { sent, token, sms, noticeId } = await sendSecure(server, c, 'Your A1C result is 6.1, {{first_name}}.');
    expect(sent).toMatchObject({ conversationId: c.conversationId, status: 'sent', notification: { via: 'sms', to: c.patient.phone } });
    // The patient's phone got the org, the link, and nothing of the message.
    expect(sms).toMatch(/^Clinic \d+: You have a new secure message\. Open https?:\/\/.+\/p\/[A-Za-z0-9_-]{43}$/);
    expect(sms).not.toMatch(/A1C|6\.1|Amina/);
    const message = await server.db.prisma.message.findUniqueOrThrow({ where: { id: sent.messageId } });
    expect(message).toMatchObject({ channel: 'secure', body: 'Your A1C result is 6.1, Amina.', conversationId: c.conversationId });
    // One history: the secure message and its notification are in the SMS thread staff already had.
    const view = await c.member.api.conversations.get.query({ conversationId: c.conversationId });
    expect(view.messages.map((m) => m.channel)).toEqual(['secure', 'sms']);
    // Nowhere in the database is the token in clear: the link is a hash, and the sent notice lost it.
    const link = await server.db.prisma.portalLink.findFirstOrThrow({ where: { conversationId: c.conversationId } });
    expect(JSON.stringify(link)).not.toContain(token);
    await waitFor(async () => !(await server.db.prisma.message.findUniqueOrThrow({ where: { id: noticeId } })).body.includes(token));
    const dump = await server.db.sql.query<{ t: string }>(`SELECT row_to_json(m)::text AS t FROM "Message" m UNION ALL SELECT row_to_json(l)::text FROM "PortalLink" l UNION ALL SELECT row_to_json(a)::text FROM "AuditEvent" a`);
    expect(dump.filter((r) => r.t.includes(token))).toEqual([]);
  });

  it('works without SMS: a team with no number uses a secure conversation and emails the link', async () => {
    const c = await clinic();
    const team = await c.owner.api.teams.create.mutate({ name: 'Billing' });
    await c.owner.api.teams.addMember.mutate({ teamId: team.id, userId: (await c.member.api.auth.me.query())!.user.id });
    const sent = await c.member.api.conversations.send.mutate({ teamId: team.id, patientId: c.patient.id, body: 'Your statement is ready.', channel: 'secure' });
    expect(sent.notification).toEqual({ via: 'email', to: 'amina@example.com' });
    const conversation = await server.db.prisma.conversation.findUniqueOrThrow({ where: { id: sent.conversationId } });
    expect(conversation).toMatchObject({ kind: 'secure', phoneNumberId: null, teamId: team.id });
    const mail = await waitFor(() => server.db.prisma.devMail.findFirst({ where: { to: { contains: 'amina@example.com' }, subject: { contains: 'secure message' } }, orderBy: { createdAt: 'desc' } }));
    expect(mail.text).toMatch(/\/p\/[A-Za-z0-9_-]{43}/);
    expect(mail.text).not.toContain('statement');
    // A second send finds the same conversation.
    const again = await c.member.api.conversations.send.mutate({ teamId: team.id, patientId: c.patient.id, body: 'And another.', channel: 'secure' });
    expect(again.conversationId).toBe(sent.conversationId);
  });

  it('"Send as SMS anyway" only where the org allows SMS: turned off in Policies, even a PHI-confirmed SMS is refused with the reason, audited nowhere; Secure Chat still goes', async () => {
    const c = await clinic();
    await c.owner.api.orgs.updatePolicies.mutate({ secureLinkExpiryHours: 72, quietHoursEnabled: false, quietHoursStart: '20:00', quietHoursEnd: '08:00', smsAllowed: false, externalChatAllowed: false });
    const body = 'Your HbA1c lab result is 9.2; start metformin 500 mg.';
    const refused = await errorOf(c.member.api.conversations.send.mutate({ conversationId: c.conversationId, body, confirmPhi: true }));
    expect(refused.message).toBe('Your organization has turned SMS off (Settings → Policies).');
    expect(await server.db.prisma.message.count({ where: { conversationId: c.conversationId, channel: 'sms', direction: 'outbound', autoReply: null } })).toBe(0);
    expect(await server.db.prisma.auditEvent.count({ where: { orgId: c.org.id, action: 'message.phi_override' } })).toBe(0);
    // Secure Chat is the way: the link goes by email (no SMS at all for this org).
    const sent = await c.member.api.conversations.send.mutate({ conversationId: c.conversationId, body, channel: 'secure' });
    expect(sent.notification).toMatchObject({ via: 'email' });
  });

  it('an opted-out patient with no email cannot be told: the send says so and stores nothing', async () => {
    const c = await clinic();
    await c.member.api.patients.update.mutate({ patientId: c.patient.id, email: null });
    await server.simulator!.simulateInbound({ from: c.patient.phone!, to: c.number.e164, body: 'STOP' });
    await waitFor(() => server.db.prisma.smsOptOut.findFirst({ where: { phone: c.patient.phone! } }));
    const err = await errorOf(c.member.api.conversations.send.mutate({ conversationId: c.conversationId, body: 'Results', channel: 'secure' }));
    expect(err.code).toBe('PRECONDITION_FAILED');
    expect(err.message).toMatch(/cannot be told about a secure message: no SMS \(.*opted out.*\) and no email address/);
    expect(await server.db.prisma.message.count({ where: { conversationId: c.conversationId, channel: 'secure' } })).toBe(0);
  });
});

describe('the portal', () => {
  it('verify by date of birth, then only this conversation’s secure messages; read receipts go live to staff; the reply lands inbound and live', async () => {
    const c = await clinic();
    await c.member.api.conversations.send.mutate({ conversationId: c.conversationId, body: 'A plain reminder by SMS.' });
    const { sent, token } = await sendSecure(server, c, 'Your biopsy was benign.');
    const phone = new PortalBrowser(server);
    // Before verification: the clinic's name only, never the patient's.
    const opened = await phone.open(token);
    expect(opened.body).toEqual({ state: 'verify', org: c.org.name, triesLeft: 3 });
    expect(JSON.stringify(opened.body)).not.toMatch(/Amina|Patel|biopsy/);
    expect((await phone.conversation(token)).body.state).toBe('verify');

    const seen: any[] = [];
    const sub = c.owner.api.conversations.events.subscribe({}, { onData: (e) => void seen.push(e) });
    try {
      const verified = await phone.verify(token, '1985-03-14');
      expect(verified.body).toEqual({ state: 'verified', org: c.org.name });
      expect(verified.setCookie).toMatch(/^caretext_portal_device=[A-Za-z0-9_-]{43}; Path=\/api\/portal; Expires=.*; HttpOnly; SameSite=Strict$/);
      const view = await phone.conversation(token);
      expect(view.body).toMatchObject({ state: 'conversation', patientName: 'Amina', repliesEnabled: true });
      expect(view.body.messages).toEqual([expect.objectContaining({ id: sent.messageId, from: 'clinic', body: 'Your biopsy was benign.', sender: 'A member' })]);
      const read = await server.db.prisma.message.findUniqueOrThrow({ where: { id: sent.messageId } });
      expect(read.readAt).toBeInstanceOf(Date);
      await waitFor(async () => seen.find((e) => e.type === 'message.updated' && e.message.id === sent.messageId && e.message.readAt));
      const staffView = await c.member.api.conversations.get.query({ conversationId: c.conversationId });
      expect(staffView.messages.find((m) => m.id === sent.messageId)!.readAt).toEqual(read.readAt);
      // SMS never gets a receipt.
      expect(staffView.messages.filter((m) => m.channel === 'sms').every((m) => m.readAt === null)).toBe(true);

      const replied = await phone.reply(token, 'Thank you so much!');
      expect(replied.body).toMatchObject({ state: 'sent', message: { from: 'patient', body: 'Thank you so much!' } });
      const live = await waitFor(async () => seen.find((e) => e.type === 'message.created' && e.message.body === 'Thank you so much!'));
      expect(live).toMatchObject({ conversationId: c.conversationId, message: { direction: 'inbound', channel: 'secure', status: 'received' }, conversation: { unreadCount: 1, lastMessagePreview: 'Secure message' } });
    } finally {
      sub.unsubscribe();
    }
    const audit = await server.db.prisma.auditEvent.findMany({ where: { orgId: (await server.db.prisma.conversation.findUniqueOrThrow({ where: { id: c.conversationId } })).orgId, action: { startsWith: 'portal.' } } });
    expect(new Set(audit.map((a) => a.action))).toEqual(new Set(['portal.link_sent', 'portal.opened', 'portal.verified']));
  });

  it('the same device re-verifies only after 30 days', async () => {
    const c = await clinic();
    const { token } = await sendSecure(server, c, 'First.');
    const phone = new PortalBrowser(server);
    await phone.verify(token, '1985-03-14');
    // A new link for the same patient on the same phone: no date of birth asked.
    const { token: second } = await sendSecure(server, c, 'Second.');
    expect((await phone.open(second)).body.state).toBe('verified');
    expect((await new PortalBrowser(server).open(second)).body.state).toBe('verify');
    // 31 days on (staff sessions have long ended: the service makes the next link).
    server.clock.advance(31 * 24 * HOUR);
    const me = (await server.db.prisma.user.findFirstOrThrow({ where: { name: 'A member', memberships: { some: { orgId: c.org.id } } } }));
    const membership = await server.db.prisma.membership.findFirstOrThrow({ where: { userId: me.id, orgId: c.org.id } });
    const actor = { userId: me.id, orgId: c.org.id, role: membership.role, membershipId: membership.id, ip: null };
    const { token: third } = await nextTokenFromSms(server, c.patient.phone!, async () => server.app.get(SecureChatService).resendLink(actor, await server.app.get(AccessService).requireConversation(actor, c.conversationId)));
    expect((await phone.open(third)).body.state).toBe('verify');
  });

  it('three wrong dates of birth lock the link for 60 minutes, with a note for staff; it opens again after', async () => {
    const c = await clinic();
    const { token } = await sendSecure(server, c, 'Results inside.');
    const phone = new PortalBrowser(server);
    expect((await phone.verify(token, '1990-01-01')).body).toMatchObject({ state: 'wrong', triesLeft: 2 });
    expect((await phone.verify(token, '1990-01-02')).body).toMatchObject({ state: 'wrong', triesLeft: 1 });
    const locked = await phone.verify(token, '1990-01-03');
    expect(locked.body).toMatchObject({ state: 'locked' });
    // Locked means locked: even the right date (from anywhere) is refused and not compared.
    expect((await new PortalBrowser(server).verify(token, '1985-03-14')).body.state).toBe('locked');
    expect((await phone.open(token)).body.state).toBe('locked');
    const note = await server.db.prisma.message.findFirstOrThrow({ where: { conversationId: c.conversationId, channel: 'system' } });
    expect(note.body).toContain('locked after 3 wrong dates of birth');
    const orgId = note.orgId;
    expect(await server.db.prisma.auditEvent.count({ where: { orgId, action: 'portal.locked' } })).toBe(1);
    expect(await server.db.prisma.auditEvent.count({ where: { orgId, action: 'portal.verify_failed' } })).toBe(3);
    // Visible to admins in the audit log (no staff actor: the patient did it).
    const listed = (await c.owner.api.audit.list.query({})).events.filter((e) => e.action.startsWith('portal.'));
    expect(listed.map((e) => e.action).sort()).toEqual(['portal.link_sent', 'portal.locked', 'portal.opened', 'portal.verify_failed', 'portal.verify_failed', 'portal.verify_failed']);

    server.clock.advance(59 * 60_000);
    expect((await phone.open(token)).body.state).toBe('locked');
    server.clock.advance(2 * 60_000);
    expect((await phone.open(token)).body).toMatchObject({ state: 'verify', triesLeft: 3 });
    expect((await phone.verify(token, '1985-03-14')).body.state).toBe('verified');
  });

  it('expired and replaced links are refused with their own states', async () => {
    const c = await clinic();
    await c.owner.api.orgs.updatePolicies.mutate({ secureLinkExpiryHours: 2, quietHoursEnabled: false, quietHoursStart: '20:00', quietHoursEnd: '08:00', smsAllowed: true, externalChatAllowed: false });
    const { token } = await sendSecure(server, c, 'Expiring.');
    const phone = new PortalBrowser(server);
    await phone.verify(token, '1985-03-14');
    // Resend: a new link; the old one stops working even on the verified phone.
    const { token: fresh } = await nextTokenFromSms(server, c.patient.phone!, async () => {
      const resent = await c.member.api.portal.resendLink.mutate({ conversationId: c.conversationId });
      expect(resent.notification).toMatchObject({ via: 'sms' });
    });
    expect(fresh).not.toBe(token);
    expect((await phone.open(token)).body).toEqual({ state: 'replaced', org: c.org.name });
    expect((await phone.conversation(token)).body.state).toBe('replaced');
    expect((await phone.conversation(fresh)).body.state).toBe('conversation');
    server.clock.advance(2 * HOUR + 1000);
    expect((await phone.open(fresh)).body).toEqual({ state: 'expired', org: c.org.name });
    expect((await phone.reply(fresh, 'hello?')).body.state).toBe('expired');
  });

  it('one address cannot walk through many links: after 10 failures it waits, whatever the link', async () => {
    const c = await clinic();
    const walker = new PortalBrowser(server);
    const tokens: string[] = [];
    // Four patients, four live links.
    for (let i = 0; i < 4; i++) {
      const patient = await c.member.api.patients.create.mutate({ firstName: `P${i}`, lastName: 'Walk', phone: nextPhone(), dob: '1970-01-01' });
      tokens.push((await sendSecure(server, c, `Message ${i}`, patient)).token);
    }
    // Each link allows 3 tries, but the address runs out first: 3 + 3 + 3 + 1.
    let answers: string[] = [];
    for (const token of tokens) for (let i = 0; i < 3; i++) answers.push((await walker.verify(token, '2000-01-01')).body.state);
    expect(answers.filter((s) => s === 'too_many_tries')).toHaveLength(2);
    const blocked = await walker.open(tokens[3]!);
    expect(blocked.status).toBe(429);
    expect(blocked.body.state).toBe('too_many_tries');
    // Another address is not affected.
    expect((await new PortalBrowser(server).open(tokens[3]!)).body.state).not.toBe('too_many_tries');
    server.clock.advance(HOUR + 1000);
    expect((await walker.open(tokens[3]!)).body.state).not.toBe('too_many_tries');
  });
});
