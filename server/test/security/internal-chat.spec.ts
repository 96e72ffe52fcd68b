import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ApiClient, errorOf, joinAs, PASSWORD, SAMPLE_FILES, smsClinic, startTestServer, type TestServer, uniqueEmail, uploadAttachment, waitFor } from '../harness.js';

/**
 * Issue 12, internal chat: an internal conversation is its participants' alone. Each procedure
 * and route that reaches one, against a signed-out caller, a member of the same org who is not in
 * it (on the starter's team, or an admin), another org, and a participant removed from the org.
 */
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

type Clinic = Awaited<ReturnType<typeof smsClinic>>;

let server: TestServer;
let a: Clinic;
let b: Clinic;
let colleague: Awaited<ReturnType<typeof joinAs>>;
let chatId: string;
let messageId: string;
let fileId: string;

const userId = async (api: ApiClient) => (await api.auth.me.query())!.user.id;

beforeAll(async () => {
  server = await startTestServer();
  a = await smsClinic(server, '+14155550180', 'Internal Sec A');
  b = await smsClinic(server, '+14155550181', 'Internal Sec B');
  colleague = await joinAs(server, a.owner, 'member', 'Nurse Kim');
  chatId = (await a.member.api.conversations.startInternal.mutate({ userIds: [await userId(colleague.api)] })).conversationId;
  fileId = (await uploadAttachment(server, a.member.token, chatId, SAMPLE_FILES.png, 'wound.png')).body.id;
  messageId = (await a.member.api.conversations.send.mutate({ conversationId: chatId, body: 'Internal secret: bed 12', channel: 'secure', attachmentIds: [fileId] })).messageId;
});
afterAll(async () => {
  await server?.stop();
});

/** Every way to reach the chat, its message or its file, as `api`. */
function reaches(api: ApiClient) {
  return {
    get: () => api.conversations.get.query({ conversationId: chatId }),
    send: () => api.conversations.send.mutate({ conversationId: chatId, body: 'intruding', channel: 'secure' }),
    sendSms: () => api.conversations.send.mutate({ conversationId: chatId, body: 'intruding' }),
    markRead: () => api.conversations.markRead.mutate({ conversationId: chatId }),
    link: () => api.attachments.link.query({ attachmentId: fileId }),
    recall: () => api.recall.message.mutate({ messageId }),
    recallFile: () => api.recall.attachment.mutate({ attachmentId: fileId }),
    retrieve: () => api.recall.retrieve.mutate({ messageId }),
    resendLink: () => api.portal.resendLink.mutate({ conversationId: chatId }),
    addPeople: () => api.conversations.addPeople.mutate({ conversationId: chatId, userIds: [], emails: ['intruder@example.com'] }),
    removePerson: () => api.conversations.removePerson.mutate({ conversationId: chatId, userId: 'someone' }),
    leave: () => api.conversations.leave.mutate({ conversationId: chatId }),
    resendInvite: () => api.conversations.resendInvite.mutate({ conversationId: chatId, email: 'intruder@example.com' }),
  };
}

async function codes(api: ApiClient): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [name, call] of Object.entries(reaches(api))) out[name] = (await errorOf(call())).code;
  return out;
}

const untouched = async () => {
  expect(await server.db.prisma.message.count({ where: { conversationId: chatId } })).toBe(1);
  expect(await server.db.prisma.message.count({ where: { id: messageId, recalledAt: null } })).toBe(1);
};

describe('internal chat: who may reach it', () => {
  it('signed out: UNAUTHORIZED everywhere, and the upload route answers 401', async () => {
    expect(new Set(Object.values(await codes(server.anon)))).toEqual(new Set(['UNAUTHORIZED']));
    expect((await errorOf(server.anon.conversations.colleagues.query({}))).code).toBe('UNAUTHORIZED');
    expect((await errorOf(server.anon.conversations.startInternal.mutate({ userIds: [await userId(colleague.api)] }))).code).toBe('UNAUTHORIZED');
    expect((await uploadAttachment(server, null, chatId, SAMPLE_FILES.png, 'x.png')).status).toBe(401);
    await untouched();
  });

  it("a member of the same org who is not in it (on the starter's team, or the admin, or the owner): NOT_FOUND, as if it did not exist", async () => {
    for (const outsider of [a.owner, a.admin]) {
      expect(new Set(Object.values(await codes(outsider.api)))).toEqual(new Set(['NOT_FOUND']));
      expect((await uploadAttachment(server, outsider.token, chatId, SAMPLE_FILES.png, 'x.png')).status).toBe(404);
      const listed = await outsider.api.conversations.list.query({});
      expect(JSON.stringify(listed)).not.toContain('Internal secret');
      expect(listed.conversations.some((c) => c.id === chatId)).toBe(false);
    }
    await untouched();
  });

  it('another org: NOT_FOUND everywhere; its people cannot be put in a chat, nor listed as colleagues', async () => {
    expect(new Set(Object.values(await codes(b.owner.api)))).toEqual(new Set(['NOT_FOUND']));
    expect((await errorOf(b.member.api.conversations.startInternal.mutate({ userIds: [await userId(a.member.api)] }))).code).toBe('NOT_FOUND');
    expect((await b.member.api.conversations.colleagues.query({ query: 'Internal Sec A' })).length).toBe(0);
    await untouched();
  });

  it("a non-participant's live stream never carries the chat's events, though they are on the starter's team", async () => {
    const seen: { conversationId?: string; message?: { body?: string } }[] = [];
    let sub: { unsubscribe(): void } | undefined;
    await new Promise<void>((resolve) => {
      sub = a.owner.api.conversations.events.subscribe({}, { onStarted: () => resolve(), onData: (e) => void seen.push(e as (typeof seen)[number]) });
    });
    try {
      await colleague.api.conversations.send.mutate({ conversationId: chatId, body: 'Internal secret reply', channel: 'secure' });
      const marker = await a.member.api.conversations.send.mutate({ conversationId: a.conversationId, body: 'Team marker' });
      await waitFor(async () => seen.some((e) => e.conversationId === a.conversationId && JSON.stringify(e).includes(marker.messageId)) || null);
      expect(seen.filter((e) => e.conversationId === chatId)).toEqual([]);
      expect(JSON.stringify(seen)).not.toContain('Internal secret');
    } finally {
      sub?.unsubscribe();
    }
  });

  it('a participant removed from the org loses the chat at once: calls refused, live stream ended, file link refused', async () => {
    const link = await colleague.api.attachments.link.query({ attachmentId: fileId });
    const ended = new Promise<unknown>((resolve) => {
      const sub = colleague.api.conversations.events.subscribe({}, {
        onStarted: () => void (async () => {
          const membership = (await a.owner.api.members.list.query()).find((m) => m.user.email === colleague.email)!;
          await a.owner.api.members.remove.mutate({ membershipId: membership.id });
        })(),
        onData: (e) => {
          if (e.type === 'access.revoked') {
            sub.unsubscribe();
            resolve(e);
          }
        },
        onError: (error) => resolve(error),
      });
    });
    expect(await ended).toEqual({ type: 'access.revoked' });
    expect((await errorOf(colleague.api.conversations.get.query({ conversationId: chatId }))).code).toBe('FORBIDDEN');
    expect((await errorOf(colleague.api.conversations.send.mutate({ conversationId: chatId, body: 'still here?', channel: 'secure' }))).code).toBe('FORBIDDEN');
    expect((await fetch(link.url)).status).toBe(403);
    // Out of the chat for good (invited back, they would not find it), and the one left in it still has it.
    expect(await server.db.prisma.conversationParticipant.count({ where: { conversationId: chatId, userId: await server.db.prisma.user.findUniqueOrThrow({ where: { email: colleague.email.toLowerCase() } }).then((u) => u.id) } })).toBe(0);
    const kept = await a.member.api.conversations.get.query({ conversationId: chatId });
    expect(kept.messages.length).toBe(2);
    expect(kept.participants!.map((p) => p.name)).toEqual([a.member.name]);
  });
});

describe('internal chat people: adding, removing, re-inviting', () => {
  it('a plain participant cannot remove others; a person removed from the chat reads nothing (calls, list, stream, an earlier file link)', async () => {
    const [nurse, aide] = [await joinAs(server, a.owner, 'member', 'Nurse Ora'), await joinAs(server, a.owner, 'member', 'Aide Pim')];
    const [nurseId, aideId] = [await userId(nurse.api), await userId(aide.api)];
    const chat = (await a.member.api.conversations.startInternal.mutate({ userIds: [nurseId, aideId] })).conversationId;
    const file = (await uploadAttachment(server, a.member.token, chat, SAMPLE_FILES.png, 'scan.png')).body.id;
    await a.member.api.conversations.send.mutate({ conversationId: chat, body: 'People secret', channel: 'secure', attachmentIds: [file] });
    expect((await errorOf(aide.api.conversations.removePerson.mutate({ conversationId: chat, userId: nurseId }))).code).toBe('FORBIDDEN');
    expect(await server.db.prisma.conversationParticipant.count({ where: { conversationId: chat } })).toBe(3);

    const link = await nurse.api.attachments.link.query({ attachmentId: file });
    const seen: { conversationId?: string; message?: unknown }[] = [];
    let sub: { unsubscribe(): void } | undefined;
    await new Promise<void>((resolve) => {
      sub = nurse.api.conversations.events.subscribe({}, { onStarted: () => resolve(), onData: (e) => void seen.push(e as (typeof seen)[number]) });
    });
    try {
      // The stream has seen the chat (so it knows its audience) before the removal.
      await a.member.api.conversations.send.mutate({ conversationId: chat, body: 'Before removal', channel: 'secure' });
      await waitFor(async () => seen.some((e) => e.message) || null);
      await a.member.api.conversations.removePerson.mutate({ conversationId: chat, userId: nurseId });
      await a.member.api.conversations.send.mutate({ conversationId: chat, body: 'People secret after', channel: 'secure' });
      // A marker the nurse does receive, published last: everything before it was already passed or dropped.
      const marker = await a.member.api.conversations.startInternal.mutate({ userIds: [nurseId] });
      await waitFor(async () => seen.some((e) => e.conversationId === marker.conversationId) || null);
      expect(seen.some((e) => e.conversationId === chat)).toBe(true);
      expect(seen.filter((e) => e.message)).toHaveLength(1);
      expect(JSON.stringify(seen)).not.toContain('People secret after');
      expect(JSON.stringify(seen)).not.toContain('removed Nurse Ora');
    } finally {
      sub?.unsubscribe();
    }
    for (const call of [
      () => nurse.api.conversations.get.query({ conversationId: chat }),
      () => nurse.api.conversations.send.mutate({ conversationId: chat, body: 'back?', channel: 'secure' }),
      () => nurse.api.conversations.addPeople.mutate({ conversationId: chat, userIds: [nurseId] }),
      () => nurse.api.attachments.link.query({ attachmentId: file }),
    ]) {
      expect((await errorOf(call())).code).toBe('NOT_FOUND');
    }
    expect((await fetch(link.url)).status).toBeGreaterThanOrEqual(400);
    expect((await nurse.api.conversations.list.query({})).conversations.some((c) => c.id === chat)).toBe(false);
  });

  it('an external collaborator adds only people they may reach, never by email, and cannot re-send invitations', async () => {
    const { policies } = await a.owner.api.orgs.current.query();
    await a.owner.api.orgs.updatePolicies.mutate({ ...policies!, externalChatAllowed: true });
    const address = uniqueEmail('sec-external');
    const chat = (await a.member.api.conversations.startInternal.mutate({ userIds: [], emails: [address] })).conversationId;
    await a.member.api.conversations.send.mutate({ conversationId: chat, body: 'Hello partner', channel: 'secure' });
    const mail = await waitFor(() => server.db.prisma.devMail.findFirst({ where: { to: address } }));
    const { token } = await server.anon.external.setUp.mutate({ token: /\/external\/([A-Za-z0-9_-]+)/.exec(mail.text)![1]!, name: 'Sec Partner', password: PASSWORD, client: 'extension' });
    const outside = server.as(token!);
    // The owner shares no chat with them: NOT_FOUND, as for any id they may not reach.
    expect((await errorOf(outside.conversations.addPeople.mutate({ conversationId: chat, userIds: [await userId(a.owner.api)] }))).code).toBe('NOT_FOUND');
    expect((await errorOf(outside.conversations.addPeople.mutate({ conversationId: chat, userIds: [], emails: [uniqueEmail('friend')] }))).code).toBe('FORBIDDEN');
    expect((await errorOf(outside.conversations.resendInvite.mutate({ conversationId: chat, email: address }))).code).toBe('FORBIDDEN');
    expect((await errorOf(outside.conversations.removePerson.mutate({ conversationId: chat, userId: await userId(a.member.api) }))).code).toBe('FORBIDDEN');
    expect(await server.db.prisma.conversationParticipant.count({ where: { conversationId: chat } })).toBe(2);
    expect(await server.db.prisma.externalInvite.count({ where: { conversationId: chat } })).toBe(1);
    // Another org's staff cannot touch it either.
    expect((await errorOf(b.owner.api.conversations.addPeople.mutate({ conversationId: chat, userIds: [await userId(b.member.api)] }))).code).toBe('NOT_FOUND');
  });
});
