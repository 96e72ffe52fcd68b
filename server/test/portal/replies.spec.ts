import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { errorOf, joinAs, smsClinic, startTestServer, type TestServer } from '../harness.js';
import { PortalBrowser, sendSecure } from './portal-helpers.js';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 120_000 });

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

describe('portal replies, turned on and off by staff', () => {
  it('a team member turns replies off: the portal says so and refuses a reply; on again, it takes one; each change is audited', async () => {
    const c = await smsClinic(server, '+14155556610', 'Replies Clinic');
    await c.owner.api.orgs.updatePolicies.mutate({ secureLinkExpiryHours: 72, quietHoursEnabled: false, quietHoursStart: '20:00', quietHoursEnd: '08:00', smsAllowed: true, externalChatAllowed: false });
    const { token } = await sendSecure(server, c, 'Your results are ready to read.');
    const phone = new PortalBrowser(server);
    await phone.verify(token, '1985-03-14');
    expect((await c.member.api.conversations.get.query({ conversationId: c.conversationId })).repliesEnabled).toBe(true);

    const version = async () => (await phone.post('version', { token })).body.version as string;
    const before = await version();
    expect(await c.member.api.portal.setReplies.mutate({ conversationId: c.conversationId, enabled: false })).toEqual({ repliesEnabled: false });
    // The open page's poll notices, and it reloads to hide the reply box.
    expect(await version()).not.toBe(before);
    expect((await c.member.api.conversations.get.query({ conversationId: c.conversationId })).repliesEnabled).toBe(false);
    expect((await phone.conversation(token)).body).toMatchObject({ state: 'conversation', repliesEnabled: false });
    expect((await phone.reply(token, 'Can I ask something?')).body).toEqual({ state: 'replies_off' });
    const inbound = () => server.db.prisma.message.count({ where: { conversationId: c.conversationId, direction: 'inbound', channel: 'secure' } });
    expect(await inbound()).toBe(0);

    await c.member.api.portal.setReplies.mutate({ conversationId: c.conversationId, enabled: true });
    expect((await phone.reply(token, 'Thanks!')).body).toMatchObject({ state: 'sent' });
    expect(await inbound()).toBe(1);

    const audit = await server.db.prisma.auditEvent.findMany({ where: { orgId: c.org.id, action: 'conversation.replies_changed' }, orderBy: { createdAt: 'asc' } });
    expect(audit.map((a) => [a.targetId, (a.data as { enabled: boolean }).enabled])).toEqual([
      [c.conversationId, false],
      [c.conversationId, true],
    ]);
  });

  it('only staff on the conversation\'s team, of its org, and signed in can change it', async () => {
    const c = await smsClinic(server, '+14155556611', 'Replies Guard Clinic');
    const other = await smsClinic(server, '+14155556612', 'Other Clinic');
    // An admin not on the team (team procedures need membership), another org's owner, signed out.
    const offTeam = await joinAs(server, c.owner, 'admin', 'Off Team Admin');
    expect((await errorOf(offTeam.api.portal.setReplies.mutate({ conversationId: c.conversationId, enabled: false }))).code).toMatch(/FORBIDDEN|NOT_FOUND/);
    expect((await errorOf(other.owner.api.portal.setReplies.mutate({ conversationId: c.conversationId, enabled: false }))).code).toMatch(/FORBIDDEN|NOT_FOUND/);
    expect((await errorOf(server.anon.portal.setReplies.mutate({ conversationId: c.conversationId, enabled: false }))).code).toBe('UNAUTHORIZED');
    expect((await server.db.prisma.conversation.findUniqueOrThrow({ where: { id: c.conversationId } })).repliesEnabled).toBe(true);
  });
});
