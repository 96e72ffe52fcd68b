import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ApiClient, errorOf, joinAs, orgWithStaff, SAMPLE_FILES, smsClinic, startTestServer, type TestServer, uploadAttachment, waitFor } from './harness.js';

/**
 * Issue 12, internal chat (seed 003): staff-to-staff conversations within the org. Stored on the
 * server like Secure Chat (files, recall), never SMS; only participants see them, live or not.
 */
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

type Clinic = Awaited<ReturnType<typeof smsClinic>>;
type Seen = { type: string; conversationId?: string; message?: { id: string; body?: string; sender?: string | null; recalled?: boolean; attachments?: { fileName: string }[] }; conversation?: { lastMessagePreview?: string | null } | null };

let server: TestServer;
let clinic: Clinic;
/** A colleague on no team at all: internal chat needs none. */
let lee: Awaited<ReturnType<typeof joinAs>>;
const ids: Record<string, string> = {};

const me = async (api: ApiClient) => (await api.auth.me.query())!.user;

/** conversations.events for one person, collected from the moment the stream is open. */
async function watch(api: ApiClient, input: { teamId?: string } = {}) {
  const seen: Seen[] = [];
  let sub: { unsubscribe(): void } | undefined;
  await new Promise<void>((resolve) => {
    sub = api.conversations.events.subscribe(input, { onStarted: () => resolve(), onData: (e) => void seen.push(e as Seen) });
  });
  return { seen, stop: () => sub!.unsubscribe() };
}

beforeAll(async () => {
  server = await startTestServer();
  clinic = await smsClinic(server, '+14155550170', 'Internal Clinic');
  lee = await joinAs(server, clinic.owner, 'member', 'Dr Lee');
  ids.member = (await me(clinic.member.api)).id;
  ids.lee = (await me(lee.api)).id;
});
afterAll(async () => {
  await server?.stop();
});

describe('internal chat', () => {
  it("lists the org's colleagues to pick from: not the caller, not another org's people", async () => {
    const other = await smsClinic(server, '+14155550171', 'Other Clinic');
    const colleagues = await clinic.member.api.conversations.colleagues.query({});
    const names = colleagues.map((c) => c.name);
    expect(names).toContain('Dr Lee');
    expect(names).toContain('Internal Clinic Owner');
    expect(colleagues.some((c) => c.id === ids.member)).toBe(false);
    expect(names.some((n) => n.startsWith('Other Clinic'))).toBe(false);
    expect((await clinic.member.api.conversations.colleagues.query({ query: 'lee' })).map((c) => c.name)).toEqual(['Dr Lee']);
    // Someone of another org cannot be added to a chat here (NOT_FOUND: their id does not leak).
    const outsider = (await me(other.member.api)).id;
    expect((await errorOf(clinic.member.api.conversations.startInternal.mutate({ userIds: [outsider] }))).code).toBe('NOT_FOUND');
    expect((await errorOf(clinic.member.api.conversations.startInternal.mutate({ userIds: [ids.member!] }))).code).toBe('BAD_REQUEST');
    expect(await server.db.prisma.conversation.count({ where: { kind: 'internal' } })).toBe(0);
  });

  it('an org with no team yet is told what to set up first', async () => {
    const fresh = await orgWithStaff(server, 'No Team Clinic');
    const refused = await errorOf(fresh.member.api.conversations.startInternal.mutate({ userIds: [await me(fresh.admin.api).then((u) => u.id)] }));
    expect(refused).toMatchObject({ code: 'PRECONDITION_FAILED', message: expect.stringContaining('need a team') });
  });

  it('starts a conversation that reaches the colleague live, and finds it again for the same people', async () => {
    const leeStream = await watch(lee.api);
    try {
      const started = await clinic.member.api.conversations.startInternal.mutate({ userIds: [ids.lee!] });
      expect(started.created).toBe(true);
      ids.chat = started.conversationId;
      await waitFor(async () => leeStream.seen.some((e) => e.conversationId === ids.chat) || null);
      expect(await clinic.member.api.conversations.startInternal.mutate({ userIds: [ids.lee!, ids.member!] })).toEqual({ conversationId: ids.chat, created: false });
    } finally {
      leeStream.stop();
    }
    const participants = await server.db.prisma.conversationParticipant.findMany({ where: { conversationId: ids.chat } });
    expect(participants.map((p) => p.userId).sort()).toEqual([ids.member, ids.lee].sort());
  });

  it('a message reaches the participant live with its text and sender, and nobody else (not the team, not a team-scoped stream)', async () => {
    const leeStream = await watch(lee.api);
    const ownerStream = await watch(clinic.owner.api); // on the starter's team, not in the chat
    const adminStream = await watch(clinic.admin.api);
    const memberScoped = await watch(clinic.member.api, { teamId: clinic.team.id });
    try {
      const sent = await clinic.member.api.conversations.send.mutate({ conversationId: ids.chat!, body: 'Can you cover room 4 at 3?', channel: 'secure' });
      expect(sent.notification).toBeUndefined();
      ids.first = sent.messageId;
      await waitFor(async () => leeStream.seen.find((e) => e.type === 'message.created' && e.message?.id === sent.messageId) ?? null);
      expect(leeStream.seen.find((e) => e.message?.id === sent.messageId)).toMatchObject({
        type: 'message.created',
        conversationId: ids.chat,
        message: { body: 'Can you cover room 4 at 3?', sender: clinic.member.name, direction: 'outbound', channel: 'secure', status: 'sent' },
        conversation: { lastMessagePreview: 'Internal message' },
      });
      // A team event after it: once the owner and the scoped stream have it, they had their chance at the internal one.
      const marker = await clinic.member.api.conversations.send.mutate({ conversationId: clinic.conversationId, body: 'Marker for the team' });
      await waitFor(async () => (ownerStream.seen.some((e) => e.message?.id === marker.messageId) && memberScoped.seen.some((e) => e.message?.id === marker.messageId)) || null);
      for (const stream of [ownerStream, adminStream, memberScoped]) expect(stream.seen.filter((e) => e.conversationId === ids.chat)).toEqual([]);
      expect(leeStream.seen.filter((e) => e.message?.id === marker.messageId)).toEqual([]);
    } finally {
      for (const s of [leeStream, ownerStream, adminStream, memberScoped]) s.stop();
    }
    // Stored on our server, never SMS: no carrier message, no portal link.
    expect(server.simulator!.messages().some((m) => m.body.includes('room 4'))).toBe(false);
    expect(await server.db.prisma.portalLink.count({ where: { conversationId: ids.chat } })).toBe(0);
    expect((await errorOf(clinic.member.api.conversations.send.mutate({ conversationId: ids.chat!, body: 'as a text', channel: 'sms' }))).code).toBe('BAD_REQUEST');
  });

  it('lists for participants only, with everyone by name, in the all-teams view', async () => {
    const row = (await lee.api.conversations.list.query({})).conversations.find((c) => c.id === ids.chat);
    expect(row).toMatchObject({ kind: 'internal', patient: null, lastMessagePreview: 'Internal message' });
    expect(row!.participants!.map((p) => p.name).sort()).toEqual(['Dr Lee', clinic.member.name].sort());
    expect((await clinic.member.api.conversations.list.query({})).conversations.some((c) => c.id === ids.chat)).toBe(true);
    // Its team's inbox is the team's patients: not there, even for a participant.
    expect((await clinic.member.api.conversations.list.query({ teamId: clinic.team.id })).conversations.some((c) => c.id === ids.chat)).toBe(false);
    for (const outsider of [clinic.owner, clinic.admin]) {
      expect((await outsider.api.conversations.list.query({})).conversations.some((c) => c.id === ids.chat)).toBe(false);
    }
    // And the patient conversations are still listed as before.
    expect((await clinic.member.api.conversations.list.query({})).conversations.find((c) => c.id === clinic.conversationId)).toMatchObject({ kind: 'sms', participants: null });
  });

  it('the colleague opens it (audited) and replies; the starter sees the reply live', async () => {
    const opened = await lee.api.conversations.get.query({ conversationId: ids.chat! });
    expect(opened).toMatchObject({ kind: 'internal', patient: null, number: null });
    expect(opened.messages.map((m) => m.body)).toEqual(['Can you cover room 4 at 3?']);
    expect(opened.participants!.map((p) => p.name).sort()).toEqual(['Dr Lee', clinic.member.name].sort());
    const audit = await server.db.prisma.auditEvent.findFirst({ where: { orgId: clinic.org.id, actorId: ids.lee, action: 'conversation.viewed', targetId: ids.chat } });
    expect(audit?.summary).toBe(`Opened the internal chat with ${clinic.member.name}`);

    const memberStream = await watch(clinic.member.api);
    try {
      const reply = await lee.api.conversations.send.mutate({ conversationId: ids.chat!, body: 'Yes, on my way', channel: 'secure' });
      await waitFor(async () => memberStream.seen.find((e) => e.message?.id === reply.messageId) ?? null);
      expect(memberStream.seen.find((e) => e.message?.id === reply.messageId)).toMatchObject({ message: { body: 'Yes, on my way', sender: 'Dr Lee' } });
    } finally {
      memberStream.stop();
    }
    expect(await server.db.prisma.auditEvent.count({ where: { orgId: clinic.org.id, actorId: ids.lee, action: 'message.sent' } })).toBe(1);
  });

  it('carries files like Secure Chat: the colleague downloads them, a non-participant cannot', async () => {
    const upload = await uploadAttachment(server, clinic.member.token, ids.chat!, SAMPLE_FILES.pdf, 'handover.pdf');
    expect(upload.status).toBe(201);
    const sent = await clinic.member.api.conversations.send.mutate({ conversationId: ids.chat!, body: 'Handover notes', channel: 'secure', attachmentIds: [upload.body.id] });
    const thread = await lee.api.conversations.get.query({ conversationId: ids.chat! });
    expect(thread.messages.find((m) => m.id === sent.messageId)!.attachments.map((a) => a.fileName)).toEqual(['handover.pdf']);
    const link = await lee.api.attachments.link.query({ attachmentId: upload.body.id });
    const res = await fetch(link.url);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(SAMPLE_FILES.pdf)).toBe(true);
    expect((await errorOf(clinic.owner.api.attachments.link.query({ attachmentId: upload.body.id }))).code).toBe('NOT_FOUND');
    expect((await uploadAttachment(server, clinic.owner.token, ids.chat!, SAMPLE_FILES.png, 'x.png')).status).toBe(404);
    ids.file = upload.body.id;
    ids.withFile = sent.messageId;
  });

  it('the sender recalls: the colleague sees "recalled" (live and on reading) and loses the file; only the sender may recall', async () => {
    expect((await errorOf(lee.api.recall.message.mutate({ messageId: ids.withFile! }))).code).toBe('FORBIDDEN');
    const leeStream = await watch(lee.api);
    try {
      await clinic.member.api.recall.message.mutate({ messageId: ids.withFile! });
      await waitFor(async () => leeStream.seen.find((e) => e.message?.id === ids.withFile && e.message.recalled) ?? null);
    } finally {
      leeStream.stop();
    }
    const recalled = (await lee.api.conversations.get.query({ conversationId: ids.chat! })).messages.find((m) => m.id === ids.withFile)!;
    expect(recalled).toMatchObject({ recalled: true, body: '', attachments: [] });
    expect((await errorOf(lee.api.attachments.link.query({ attachmentId: ids.file! }))).code).toBe('PRECONDITION_FAILED');
  });
});
