import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ApiClient, errorOf, joinAs, PASSWORD, SAMPLE_FILES, smsClinic, startTestServer, type TestServer, uniqueEmail, uploadAttachment, waitFor } from './harness.js';

/**
 * Issue 12, the people of an internal chat: adding colleagues (who see the history) and outside
 * addresses (invited with the next message), removing (starter or admin), leaving, a system line
 * for each, live updates of who is in it, and "Resend invitation" (the old link stops working).
 */
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

type Seen = { type: string; conversationId?: string; message?: { body?: string; direction?: string }; conversation?: { participantsChanged?: boolean; removedUserIds?: string[] } | null };

let server: TestServer;
let clinic: Awaited<ReturnType<typeof smsClinic>>;
let lee: Awaited<ReturnType<typeof joinAs>>;
let kim: Awaited<ReturnType<typeof joinAs>>;
const ids: Record<string, string> = {};

const me = async (api: ApiClient) => (await api.auth.me.query())!.user;
const inviteMails = (email: string) => server.db.prisma.devMail.findMany({ where: { to: email, subject: { contains: 'sent you a message' } }, orderBy: { createdAt: 'asc' } });
const tokenIn = (text: string) => /\/external\/([A-Za-z0-9_-]+)/.exec(text)![1]!;

async function watch(api: ApiClient) {
  const seen: Seen[] = [];
  let sub: { unsubscribe(): void } | undefined;
  await new Promise<void>((resolve) => {
    sub = api.conversations.events.subscribe({}, { onStarted: () => resolve(), onData: (e) => void seen.push(e as Seen) });
  });
  return { seen, stop: () => sub!.unsubscribe() };
}

beforeAll(async () => {
  server = await startTestServer();
  clinic = await smsClinic(server, '+14155550190', 'People Clinic');
  lee = await joinAs(server, clinic.owner, 'member', 'Dr Lee');
  kim = await joinAs(server, clinic.owner, 'member', 'Nurse Kim');
  ids.member = (await me(clinic.member.api)).id;
  ids.lee = (await me(lee.api)).id;
  ids.kim = (await me(kim.api)).id;
  ids.owner = (await me(clinic.owner.api)).id;
  ids.chat = (await clinic.member.api.conversations.startInternal.mutate({ userIds: [ids.lee] })).conversationId;
  ids.file = (await uploadAttachment(server, clinic.member.token, ids.chat, SAMPLE_FILES.png, 'chart.png')).body.id;
  await clinic.member.api.conversations.send.mutate({ conversationId: ids.chat, channel: 'secure', body: 'Before Kim joined', attachmentIds: [ids.file] });
});
afterAll(async () => {
  await server?.stop();
});

describe('people of an internal chat', () => {
  it('adds a colleague: live for them, a system line, the earlier messages and files visible, audited', async () => {
    const kimStream = await watch(kim.api);
    try {
      expect(await clinic.member.api.conversations.addPeople.mutate({ conversationId: ids.chat!, userIds: [ids.kim!] })).toEqual({ added: 1, invited: 0 });
      await waitFor(async () => kimStream.seen.some((e) => e.conversationId === ids.chat && e.message?.body === 'A member added Nurse Kim') || null);
      expect(kimStream.seen.some((e) => e.conversationId === ids.chat && e.conversation?.participantsChanged)).toBe(true);
    } finally {
      kimStream.stop();
    }
    const thread = await kim.api.conversations.get.query({ conversationId: ids.chat! });
    expect(thread.messages.map((m) => m.body)).toEqual(['Before Kim joined', 'A member added Nurse Kim']);
    expect(thread.messages[1]).toMatchObject({ direction: 'system' });
    expect(thread.participants!.map((p) => p.name).sort()).toEqual(['A member', 'Dr Lee', 'Nurse Kim']);
    expect((await kim.api.attachments.link.query({ attachmentId: ids.file! })).url).toBeTruthy();
    expect((await kim.api.conversations.list.query({})).conversations.map((c) => c.id)).toContain(ids.chat);
    expect(await errorOf(clinic.member.api.conversations.addPeople.mutate({ conversationId: ids.chat!, userIds: [ids.kim!] }))).toMatchObject({ code: 'BAD_REQUEST', message: 'They are already in this chat.' });
    expect(await server.db.prisma.auditEvent.findFirst({ where: { action: 'conversation.participants_added', targetId: ids.chat } })).toMatchObject({ actorId: ids.member, data: { userIds: [ids.kim] } });
  });

  it('only the starter (or an org admin) removes; the removed person loses list, thread, files and events at once', async () => {
    // Who started it is kept on the conversation, not read back from the audit log.
    expect((await lee.api.conversations.get.query({ conversationId: ids.chat! })).startedById).toBe(ids.member);
    await server.db.prisma.auditEvent.deleteMany({ where: { action: 'conversation.started', targetId: ids.chat } });
    expect((await clinic.member.api.conversations.get.query({ conversationId: ids.chat! })).startedById).toBe(ids.member);
    expect(await errorOf(lee.api.conversations.removePerson.mutate({ conversationId: ids.chat!, userId: ids.kim! }))).toMatchObject({ code: 'FORBIDDEN' });
    const kimStream = await watch(kim.api);
    const leeStream = await watch(lee.api);
    try {
      await clinic.member.api.conversations.removePerson.mutate({ conversationId: ids.chat!, userId: ids.kim! });
      await waitFor(async () => kimStream.seen.some((e) => e.conversationId === ids.chat && e.conversation?.removedUserIds?.includes(ids.kim!)) || null);
      await waitFor(async () => leeStream.seen.some((e) => e.message?.body === 'A member removed Nurse Kim') || null);
      await clinic.member.api.conversations.send.mutate({ conversationId: ids.chat!, channel: 'secure', body: 'After Kim left' });
      await waitFor(async () => leeStream.seen.some((e) => e.message?.body === 'After Kim left') || null);
      expect(kimStream.seen.filter((e) => e.message)).toEqual([]);
    } finally {
      kimStream.stop();
      leeStream.stop();
    }
    expect((await errorOf(kim.api.conversations.get.query({ conversationId: ids.chat! }))).code).toBe('NOT_FOUND');
    expect((await errorOf(kim.api.attachments.link.query({ attachmentId: ids.file! }))).code).toBe('NOT_FOUND');
    expect((await kim.api.conversations.list.query({})).conversations.map((c) => c.id)).not.toContain(ids.chat);
    expect(await server.db.prisma.auditEvent.count({ where: { action: 'conversation.participant_removed', targetId: ids.chat, actorId: ids.member } })).toBe(1);

    // An org admin in the chat removes too, though they did not start it.
    await clinic.member.api.conversations.addPeople.mutate({ conversationId: ids.chat!, userIds: [ids.owner!, ids.kim!] });
    await clinic.owner.api.conversations.removePerson.mutate({ conversationId: ids.chat!, userId: ids.kim! });
    expect((await errorOf(kim.api.conversations.get.query({ conversationId: ids.chat! }))).code).toBe('NOT_FOUND');
  });

  it('anyone leaves: "Dr Lee left", and the chat is gone for them', async () => {
    await lee.api.conversations.leave.mutate({ conversationId: ids.chat! });
    expect((await errorOf(lee.api.conversations.get.query({ conversationId: ids.chat! }))).code).toBe('NOT_FOUND');
    const thread = await clinic.member.api.conversations.get.query({ conversationId: ids.chat! });
    expect(thread.messages.at(-1)!.body).toBe('Dr Lee left');
    expect(thread.participants!.map((p) => p.id)).not.toContain(ids.lee);
    expect(await server.db.prisma.auditEvent.count({ where: { action: 'conversation.left', targetId: ids.chat, actorId: ids.lee } })).toBe(1);
  });

  it('adds an outside address as a pending invitation mailed with the next message; Resend invitation replaces the link', async () => {
    const { policies } = await clinic.owner.api.orgs.current.query();
    await clinic.owner.api.orgs.updatePolicies.mutate({ ...policies!, externalChatAllowed: true });
    const partner = uniqueEmail('partner');
    await clinic.member.api.conversations.addPeople.mutate({ conversationId: ids.chat!, userIds: [], emails: [partner] });
    expect(await inviteMails(partner)).toHaveLength(0);
    expect((await clinic.member.api.conversations.get.query({ conversationId: ids.chat! })).invited).toEqual([{ email: partner, sent: false, expired: false }]);
    expect(await errorOf(clinic.member.api.conversations.resendInvite.mutate({ conversationId: ids.chat!, email: partner }))).toMatchObject({ code: 'BAD_REQUEST' });

    await clinic.member.api.conversations.send.mutate({ conversationId: ids.chat!, channel: 'secure', body: 'Welcome' });
    const [first] = await waitFor(async () => ((await inviteMails(partner)).length ? inviteMails(partner) : null));
    const oldToken = tokenIn(first!.text);
    // The link expired unused.
    await server.db.prisma.externalInvite.updateMany({ where: { email: partner }, data: { expiresAt: new Date(server.clock.now().getTime() - 1000) } });
    expect((await clinic.member.api.conversations.get.query({ conversationId: ids.chat! })).invited).toEqual([{ email: partner, sent: true, expired: true }]);

    await clinic.member.api.conversations.resendInvite.mutate({ conversationId: ids.chat!, email: partner });
    const mails = await inviteMails(partner);
    expect(mails).toHaveLength(2);
    const newToken = tokenIn(mails[1]!.text);
    expect(newToken).not.toBe(oldToken);
    expect((await errorOf(server.anon.external.info.query({ token: oldToken }))).code).toBe('NOT_FOUND');
    expect((await server.anon.external.info.query({ token: newToken })).expired).toBe(false);
    expect(await server.db.prisma.auditEvent.count({ where: { action: 'external.reinvited', targetId: ids.chat } })).toBe(1);
    const joined = await server.anon.external.setUp.mutate({ token: newToken, name: 'Partner Doc', password: PASSWORD, client: 'extension' });
    expect(joined.conversationId).toBe(ids.chat);
    const thread = await clinic.member.api.conversations.get.query({ conversationId: ids.chat! });
    expect(thread.participants!.find((p) => p.name === 'Partner Doc')).toMatchObject({ external: true });
    expect(thread.invited).toEqual([]);

    // The external collaborator (allow-listed for these) adds the people they already reach, no one else, and leaves.
    const partnerApi = server.as(joined.token!);
    const partnerId = (await me(partnerApi)).id;
    const second = (await clinic.member.api.conversations.startInternal.mutate({ userIds: [partnerId] })).conversationId;
    expect((await errorOf(partnerApi.conversations.addPeople.mutate({ conversationId: second, userIds: [ids.lee!] }))).code).toBe('NOT_FOUND');
    await partnerApi.conversations.addPeople.mutate({ conversationId: second, userIds: [ids.owner!] });
    expect((await clinic.owner.api.conversations.get.query({ conversationId: second })).messages.at(-1)!.body).toBe('Partner Doc added People Clinic Owner');
    await partnerApi.conversations.leave.mutate({ conversationId: second });
    expect((await partnerApi.conversations.list.query({})).conversations.map((c) => c.id)).toEqual([ids.chat]);
  });
});
