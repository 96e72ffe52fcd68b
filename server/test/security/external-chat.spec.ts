import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ApiClient, errorOf, joinAs, PASSWORD, SAMPLE_FILES, smsClinic, startTestServer, type TestServer, uniqueEmail, uploadAttachment, uploadCsv, waitFor } from '../harness.js';

/**
 * Issue 12, external collaborators: "external user cannot call any settings/member procedure"
 * (the role sweep proves it for every procedure) and sees no conversation they are not in.
 * Adversaries: the external user themselves, another org, a signed-out caller, and someone else
 * holding the Get started link.
 */
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

type Clinic = Awaited<ReturnType<typeof smsClinic>>;

let server: TestServer;
let a: Clinic;
let b: Clinic;
let external: { api: ApiClient; token: string; userId: string; chatId: string };
/** An internal chat of org A the external user is not in, with a file. */
let otherChat: string;
let otherFile: string;

const userId = async (api: ApiClient) => (await api.auth.me.query())!.user.id;

/** A member of `clinic` invites `email` into an internal chat and sends the first message; the Get started token. */
async function inviteByEmail(clinic: Clinic, email: string): Promise<{ chatId: string; token: string }> {
  const { conversationId } = await clinic.member.api.conversations.startInternal.mutate({ userIds: [], emails: [email] });
  await clinic.member.api.conversations.send.mutate({ conversationId, channel: 'secure', body: 'Hello partner' });
  const mail = await waitFor(() => server.db.prisma.devMail.findFirst({ where: { to: email }, orderBy: { createdAt: 'desc' } }));
  return { chatId: conversationId, token: /\/external\/([A-Za-z0-9_-]+)/.exec(mail.text)![1]! };
}

beforeAll(async () => {
  server = await startTestServer();
  a = await smsClinic(server, '+14155550190', 'External Sec A');
  b = await smsClinic(server, '+14155550191', 'External Sec B');
  for (const clinic of [a, b]) {
    await clinic.owner.api.orgs.updatePolicies.mutate({ ...(await clinic.owner.api.orgs.current.query()).policies!, externalChatAllowed: true });
  }
  const { chatId, token } = await inviteByEmail(a, uniqueEmail('ext'));
  const joined = await server.anon.external.setUp.mutate({ token, name: 'Dr Outside', password: PASSWORD, client: 'extension' });
  const api = server.as(joined.token!);
  external = { api, token: joined.token!, userId: await userId(api), chatId };
  const nurse = await joinAs(server, a.owner, 'member', 'Nurse Kim');
  otherChat = (await a.member.api.conversations.startInternal.mutate({ userIds: [await userId(nurse.api)] })).conversationId;
  otherFile = (await uploadAttachment(server, a.member.token, otherChat, SAMPLE_FILES.png, 'chart.png')).body.id;
  await a.member.api.conversations.send.mutate({ conversationId: otherChat, channel: 'secure', body: 'Not for outsiders', attachmentIds: [otherFile] });
});
afterAll(async () => {
  await server?.stop();
});

describe('external collaborator: only their own conversations', () => {
  it('another internal chat of the org, its file, and a team conversation are NOT_FOUND', async () => {
    expect((await errorOf(external.api.conversations.get.query({ conversationId: otherChat }))).code).toBe('NOT_FOUND');
    expect((await errorOf(external.api.conversations.send.mutate({ conversationId: otherChat, channel: 'secure', body: 'intruding' }))).code).toBe('NOT_FOUND');
    expect((await errorOf(external.api.attachments.link.query({ attachmentId: otherFile }))).code).toBe('NOT_FOUND');
    expect((await errorOf(external.api.conversations.get.query({ conversationId: a.conversationId }))).code).toBe('NOT_FOUND');
    expect((await uploadAttachment(server, external.token, otherChat, SAMPLE_FILES.png, 'x.png')).status).toBe(404);
    expect(await server.db.prisma.message.count({ where: { conversationId: otherChat, senderId: external.userId } })).toBe(0);
    // Their own conversation takes their files.
    expect((await uploadAttachment(server, external.token, external.chatId, SAMPLE_FILES.png, 'mine.png')).status).toBe(201);
  });

  it('an admin cannot put them on a team, and a team row alone grants nothing', async () => {
    expect((await errorOf(a.owner.api.teams.addMember.mutate({ teamId: a.team.id, userId: external.userId }))).code).toBe('BAD_REQUEST');
    // As if the row existed anyway (written before this rule, or by hand): still nothing of the team.
    await server.db.prisma.teamMember.create({ data: { teamId: a.team.id, userId: external.userId } });
    expect((await errorOf(external.api.conversations.get.query({ conversationId: a.conversationId }))).code).toBe('NOT_FOUND');
    expect((await external.api.conversations.list.query({})).conversations.map((c) => c.id)).toEqual([external.chatId]);
    expect((await errorOf(external.api.conversations.list.query({ teamId: a.team.id }))).code).toBe('FORBIDDEN');
    await server.db.prisma.teamMember.delete({ where: { teamId_userId: { teamId: a.team.id, userId: external.userId } } });
  });

  it('their live stream carries only their conversation', async () => {
    const seen: { conversationId?: string }[] = [];
    let sub: { unsubscribe(): void } | undefined;
    await new Promise<void>((resolve) => {
      sub = external.api.conversations.events.subscribe({}, { onStarted: () => resolve(), onData: (e) => void seen.push(e as { conversationId?: string }) });
    });
    try {
      await a.member.api.conversations.send.mutate({ conversationId: otherChat, channel: 'secure', body: 'Still not for outsiders' });
      await a.member.api.conversations.send.mutate({ conversationId: external.chatId, channel: 'secure', body: 'For the partner' });
      await waitFor(async () => seen.some((e) => e.conversationId === external.chatId) || null);
      expect(seen.every((e) => e.conversationId === external.chatId)).toBe(true);
    } finally {
      sub!.unsubscribe();
    }
  });
});

describe('external collaborator: no settings, policies or members', () => {
  it('members, invites, settings and policies are FORBIDDEN; the org shows only its name', async () => {
    for (const call of [
      () => external.api.members.list.query(),
      () => external.api.members.invite.mutate({ email: uniqueEmail('x'), role: 'member' }),
      () => external.api.orgs.replies.query(),
      () => external.api.orgs.updatePolicies.mutate({ secureLinkExpiryHours: 72, quietHoursEnabled: false, quietHoursStart: '20:00', quietHoursEnd: '08:00', smsAllowed: true, externalChatAllowed: true }),
      () => external.api.teams.list.query(),
      () => external.api.patients.list.query({}),
      () => external.api.plan.get.query(),
    ]) {
      expect((await errorOf(call())).code).toBe('FORBIDDEN');
    }
    const org = await external.api.orgs.current.query();
    expect(org).toMatchObject({ name: 'External Sec A', myRole: 'external', policies: null, confirmationWords: null });
    expect(JSON.stringify(org)).not.toContain('quietHours');
    // Plain HTTP routes follow the same allow-list: no patient import.
    expect((await uploadCsv(server, external.token, 'phone,first_name\n4155550111,X\n')).status).toBe(403);
    // Nor a blast image (a 1x1 PNG's signature is enough to be read as one).
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
    const image = await fetch(`${server.url}/api/blast-images?name=x.png`, { method: 'POST', headers: { authorization: `Bearer ${external.token}`, 'content-type': 'application/octet-stream' }, body: png });
    expect(image.status).toBe(403);
  });
});

describe('other orgs, other people, no session', () => {
  it("another org's conversation is NOT_FOUND, and switching into an org they are not in is refused", async () => {
    expect((await errorOf(external.api.conversations.get.query({ conversationId: b.conversationId }))).code).toBe('NOT_FOUND');
    expect((await errorOf(external.api.orgs.switch.mutate({ orgId: b.org.id }))).code).toBe('NOT_FOUND');
  });

  it("org B's staff cannot read or join org A's external chat", async () => {
    expect((await errorOf(b.member.api.conversations.get.query({ conversationId: external.chatId }))).code).toBe('NOT_FOUND');
    expect((await errorOf(b.member.api.conversations.startInternal.mutate({ userIds: [external.userId] }))).code).toBe('NOT_FOUND');
  });

  it('a Get started link works only for the invited address, and never without one', async () => {
    const { token } = await inviteByEmail(a, uniqueEmail('target'));
    // Someone else signed in (of another org) holding the link: refused, nothing joined.
    expect((await errorOf(b.owner.api.external.accept.mutate({ token }))).code).toBe('FORBIDDEN');
    expect(await server.db.prisma.membership.count({ where: { orgId: a.org.id, userId: await userId(b.owner.api) } })).toBe(0);
    // Signed out: accept needs a session; a made-up token is NOT_FOUND.
    expect((await errorOf(server.anon.external.accept.mutate({ token }))).code).toBe('UNAUTHORIZED');
    expect((await errorOf(server.anon.external.info.query({ token: 'x'.repeat(43) }))).code).toBe('NOT_FOUND');
    expect((await errorOf(server.anon.external.setUp.mutate({ token: 'x'.repeat(43), name: 'Guess', password: PASSWORD }))).code).toBe('NOT_FOUND');
    // Signed out, nothing of the org answers.
    expect((await errorOf(server.anon.conversations.list.query({}))).code).toBe('UNAUTHORIZED');
  });

  it('a removed external collaborator loses the conversation at once', async () => {
    const { chatId, token } = await inviteByEmail(a, uniqueEmail('removed'));
    const joined = await server.anon.external.setUp.mutate({ token, name: 'Short Stay', password: PASSWORD, client: 'extension' });
    const api = server.as(joined.token!);
    expect((await api.conversations.get.query({ conversationId: chatId })).id).toBe(chatId);
    const membership = (await a.owner.api.members.list.query()).find((m) => m.user.name === 'Short Stay')!;
    expect(membership.role).toBe('external');
    await a.owner.api.members.remove.mutate({ membershipId: membership.id });
    expect((await errorOf(api.conversations.get.query({ conversationId: chatId }))).code).toBe('FORBIDDEN');
  });
});
