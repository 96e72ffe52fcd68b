import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { errorOf, SAMPLE_FILES, smsClinic, startTestServer, type TestServer, uploadAttachment, waitFor } from '../harness.js';
import { EventBus } from '../../src/events/event-bus.js';
import { type Clinic, nextTokenFromSms, PortalBrowser } from './portal-helpers.js';

// Whole clinics per test and the carrier's round trip: room for a loaded machine (waits are bounded, never sleeps).
vi.setConfig({ testTimeout: 180_000, hookTimeout: 120_000 });

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ attachmentMaxBytes: 64 * 1024 });
});
afterAll(async () => {
  await server?.stop();
});

let phoneCounter = 5100;
const nextPhone = () => `+1415555${String(phoneCounter++).padStart(4, '0')}`;

/** Until the stream is live: probes (a harmless conversation.updated) are published until one arrives, never a fixed wait. */
async function streamLive(c: Clinic, events: any[]) {
  const bus = server.app.get(EventBus);
  await waitFor(async () => {
    bus.publish(c.org.id, { type: 'conversation.updated', teamId: c.team.id, conversationId: 'probe', patientId: 'probe', conversation: {} }); // a patient's: an unknown conversation without one is looked up as internal and reaches nobody
    return events.some((e) => e.conversationId === 'probe') || null;
  });
}

async function clinic(): Promise<Clinic> {
  const c = await smsClinic(server, nextPhone(), `Files Clinic ${phoneCounter}`);
  await c.owner.api.orgs.updatePolicies.mutate({ secureLinkExpiryHours: 72, quietHoursEnabled: false, quietHoursStart: '20:00', quietHoursEnd: '08:00', smsAllowed: true, externalChatAllowed: false });
  return c;
}

/** Staff uploads files, sends them as Secure Chat, and the patient verifies on the portal. */
async function sendWithFiles(c: Clinic, body: string, files: [Uint8Array, string][]) {
  const ids: string[] = [];
  for (const [bytes, name] of files) {
    const up = await uploadAttachment(server, c.member.token, c.conversationId, bytes, name);
    expect(up.status).toBe(201);
    ids.push(up.body.id);
  }
  let sent!: Awaited<ReturnType<Clinic['member']['api']['conversations']['send']['mutate']>>;
  const { token } = await nextTokenFromSms(server, c.patient.phone!, async () => {
    sent = await c.member.api.conversations.send.mutate({ conversationId: c.conversationId, body, channel: 'secure', attachmentIds: ids });
  });
  const browser = new PortalBrowser(server);
  expect((await browser.verify(token, '1985-03-14')).body.state).toBe('verified');
  return { sent, ids, token, browser };
}

describe('Secure Chat with files', () => {
  it('a secure message carries its files: the thread lists them, the patient sees and downloads them', async () => {
    const c = await clinic();
    const { sent, ids, token, browser } = await sendWithFiles(c, 'Your results', [
      [SAMPLE_FILES.png, 'scan.png'],
      [SAMPLE_FILES.pdf, 'Results.pdf'],
    ]);
    const thread = await c.owner.api.conversations.get.query({ conversationId: c.conversationId });
    const shown = thread.messages.find((m) => m.id === sent.messageId)!;
    expect(shown.attachments.map((a) => [a.fileName, a.contentType, a.recalled])).toEqual([
      ['scan.png', 'image/png', false],
      ['Results.pdf', 'application/pdf', false],
    ]);
    // The SMS notification carries no file (only the link).
    const notice = await server.db.prisma.message.findFirstOrThrow({ where: { conversationId: c.conversationId, autoReply: 'portal_link' } });
    expect(notice.mediaUrls).toEqual([]);

    const conv = await browser.conversation(token);
    const message = conv.body.messages.find((m: { id: string }) => m.id === sent.messageId);
    expect(message.files.map((f: { fileName: string }) => f.fileName)).toEqual(['scan.png', 'Results.pdf']);
    const link = await browser.post('file', { token, attachmentId: ids[1] });
    expect(link.body.state).toBe('file');
    const res = await fetch(link.body.url);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(SAMPLE_FILES.pdf)).toBe(true);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment;/);
    expect(await server.db.prisma.auditEvent.count({ where: { orgId: c.org.id, action: 'attachment.downloaded', targetId: ids[1] } })).toBe(1);
  });

  it('a secure message may be files only; SMS refuses files; a file goes once, and only in its own conversation', async () => {
    const c = await clinic();
    const { sent } = await sendWithFiles(c, '', [[SAMPLE_FILES.jpeg, 'photo.jpg']]);
    const row = await server.db.prisma.message.findUniqueOrThrow({ where: { id: sent.messageId } });
    expect(row.body).toBe('');

    const again = await uploadAttachment(server, c.member.token, c.conversationId, SAMPLE_FILES.png, 'x.png');
    const sms = await errorOf(c.member.api.conversations.send.mutate({ conversationId: c.conversationId, body: 'hello', attachmentIds: [again.body.id] }));
    expect(sms).toMatchObject({ code: 'BAD_REQUEST' });
    expect(sms.message).toMatch(/only be sent by Secure Chat/);
    const empty = await errorOf(c.member.api.conversations.send.mutate({ conversationId: c.conversationId, body: '  ', channel: 'secure' }));
    expect(empty.message).toMatch(/Write a message or attach a file/);

    // Already sent with the first message: refused, and the whole send with it.
    const used = (await server.db.prisma.attachment.findFirstOrThrow({ where: { messageId: sent.messageId } })).id;
    const twice = await errorOf(c.member.api.conversations.send.mutate({ conversationId: c.conversationId, body: 'again', channel: 'secure', attachmentIds: [again.body.id, used] }));
    expect(twice.message).toMatch(/already sent, recalled, or uploaded to another conversation/);
    expect(await server.db.prisma.message.count({ where: { conversationId: c.conversationId, body: 'again' } })).toBe(0);
    expect((await server.db.prisma.attachment.findUniqueOrThrow({ where: { id: again.body.id } })).messageId).toBeNull();

    // A file of another conversation (another patient of the same team).
    const other = await c.member.api.patients.create.mutate({ firstName: 'Bo', lastName: 'Lee', phone: nextPhone(), dob: '1990-01-01' });
    const { conversationId: otherConversation } = await c.member.api.conversations.startSms.mutate({ teamId: c.team.id, patientId: other.id });
    const elsewhere = await uploadAttachment(server, c.member.token, otherConversation, SAMPLE_FILES.png, 'y.png');
    const moved = await errorOf(c.member.api.conversations.send.mutate({ conversationId: c.conversationId, body: 'moved', channel: 'secure', attachmentIds: [elsewhere.body.id] }));
    expect(moved).toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('the patient attaches a file to a reply; staff see it live in the thread, type checked from the bytes', async () => {
    const c = await clinic();
    await c.owner.api.conversations.get.query({ conversationId: c.conversationId });
    const { token, browser } = await sendWithFiles(c, 'Send us a photo', []);
    const upload = (bytes: Uint8Array, name: string) =>
      fetch(`${server.url}/api/portal/upload?name=${encodeURIComponent(name)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream', 'x-portal-token': token, 'x-forwarded-for': browser.ip, cookie: browser.cookie! },
        body: bytes,
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> }));
    const wrong = await upload(SAMPLE_FILES.html, 'photo.png');
    expect(wrong.status).toBe(415);
    expect(wrong.body.message).toMatch(/not a type CareText accepts/);
    const big = await upload(Buffer.concat([SAMPLE_FILES.png, Buffer.alloc(70 * 1024)]), 'big.png');
    expect(big.status).toBe(413);
    const up = await upload(SAMPLE_FILES.jpeg, 'rash.jpg');
    expect(up.status).toBe(201);
    expect(up.body).toMatchObject({ state: 'uploaded', file: { fileName: 'rash.jpg', contentType: 'image/jpeg' } });

    const events: any[] = [];
    const sub = c.member.api.conversations.events.subscribe({}, { onData: (e) => events.push(e) });
    try {
      await streamLive(c, events);
      const reply = await browser.post('reply', { token, body: '', attachmentIds: [up.body.file.id] });
      expect(reply.body).toMatchObject({ state: 'sent', message: { files: [{ fileName: 'rash.jpg' }] } });
      const live: any = await waitFor(async () => events.find((e) => e.type === 'message.created' && e.message.direction === 'inbound'));
      expect(live.message.attachments).toMatchObject([{ fileName: 'rash.jpg', contentType: 'image/jpeg', recalled: false }]);
      const link = await c.member.api.attachments.link.query({ attachmentId: up.body.file.id });
      expect((await fetch(link.url)).status).toBe(200);
    } finally {
      sub.unsubscribe();
    }
  });

  it('recall: the sender recalls; staff and the portal see it recalled, its files die; an admin retrieves it, audited', async () => {
    const c = await clinic();
    const { sent, ids, token, browser } = await sendWithFiles(c, 'Wrong patient: HbA1c 9.2', [[SAMPLE_FILES.png, 'scan.png']]);
    const staffLink = await c.owner.api.attachments.link.query({ attachmentId: ids[0]! });
    const patientLink = (await browser.post('file', { token, attachmentId: ids[0] })).body.url as string;

    // The open portal page polls a version: steady while nothing changes (reading does not count).
    const shownVersion = (await browser.conversation(token)).body.version as string;
    expect((await browser.post('version', { token })).body).toEqual({ state: 'version', version: shownVersion });
    expect((await browser.post('version', { token })).body.version).toBe(shownVersion);

    const events: any[] = [];
    const sub = c.owner.api.conversations.events.subscribe({}, { onData: (e) => events.push(e) });
    try {
      await streamLive(c, events);
      expect(await c.member.api.recall.message.mutate({ messageId: sent.messageId })).toEqual({ recalled: true });
      const live: any = await waitFor(async () => events.find((e) => e.type === 'message.updated' && e.message.id === sent.messageId));
      expect(live.message).toMatchObject({ recalled: true, attachments: [] });
    } finally {
      sub.unsubscribe();
    }
    const shown = (await c.owner.api.conversations.get.query({ conversationId: c.conversationId })).messages.find((m) => m.id === sent.messageId)!;
    expect(shown).toMatchObject({ recalled: true, body: '', attachments: [] });
    // The page's next poll sees a new version, so it loads the conversation again at once.
    const polled = (await browser.post('version', { token })).body.version as string;
    expect(polled).not.toBe(shownVersion);
    const reloaded = (await browser.conversation(token)).body;
    expect(reloaded.version).toBe(polled);
    const portal = reloaded.messages.find((m: { id: string }) => m.id === sent.messageId);
    expect(portal).toMatchObject({ recalled: true, body: '', files: [] });
    expect(JSON.stringify((await browser.conversation(token)).body)).not.toMatch(/HbA1c|scan\.png/);
    // Links made before the recall die.
    expect((await fetch(staffLink.url)).status).toBe(410);
    expect((await fetch(patientLink)).status).toBe(410);
    expect((await browser.post('file', { token, attachmentId: ids[0] })).body.state).toBe('invalid');
    expect(await errorOf(c.owner.api.attachments.link.query({ attachmentId: ids[0]! }))).toMatchObject({ code: 'PRECONDITION_FAILED' });
    expect(await server.db.prisma.auditEvent.count({ where: { orgId: c.org.id, action: 'message.recalled', targetId: sent.messageId } })).toBe(1);

    // The owner (an admin on the team) retrieves it: text and a working link, audited each time.
    const got = await c.owner.api.recall.retrieve.mutate({ messageId: sent.messageId });
    expect(got).toMatchObject({ body: 'Wrong patient: HbA1c 9.2', recalledBy: 'A member', attachments: [{ fileName: 'scan.png', recalled: true }] });
    const res = await fetch(got.attachments[0]!.url);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(SAMPLE_FILES.png)).toBe(true);
    await c.owner.api.recall.retrieve.mutate({ messageId: sent.messageId });
    expect(await server.db.prisma.auditEvent.count({ where: { orgId: c.org.id, action: 'recall.retrieved', targetId: sent.messageId } })).toBe(2);
    // In the admins' audit log: the recall, each retrieval, the owner's download of the recalled file.
    const log = (await c.owner.api.audit.list.query({})).events.map((e) => e.action);
    expect(log.filter((a) => a === 'message.recalled')).toHaveLength(1);
    expect(log.filter((a) => a === 'recall.retrieved')).toHaveLength(2);
    expect(log).toContain('attachment.downloaded');
    // A plain member cannot, even the sender.
    expect(await errorOf(c.member.api.recall.retrieve.mutate({ messageId: sent.messageId }))).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('recall of one file keeps the text; an SMS cannot be recalled; the patient recalls their own reply', async () => {
    const c = await clinic();
    const { sent, ids, token, browser } = await sendWithFiles(c, 'Two files', [
      [SAMPLE_FILES.png, 'a.png'],
      [SAMPLE_FILES.pdf, 'b.pdf'],
    ]);
    const version = async () => (await browser.post('version', { token })).body.version as string;
    const before = await version();
    await c.member.api.recall.attachment.mutate({ attachmentId: ids[0]! });
    // One file recalled, the text kept: the version moves too.
    const afterFile = await version();
    expect(afterFile).not.toBe(before);
    const shown = (await c.owner.api.conversations.get.query({ conversationId: c.conversationId })).messages.find((m) => m.id === sent.messageId)!;
    expect(shown).toMatchObject({ recalled: false, body: 'Two files' });
    expect(shown.attachments.map((a) => [a.fileName, a.recalled])).toEqual([
      ['a.png', true],
      ['b.pdf', false],
    ]);
    const portal = (await browser.conversation(token)).body.messages.find((m: { id: string }) => m.id === sent.messageId);
    expect(portal.files.map((f: { fileName: string }) => f.fileName)).toEqual(['b.pdf']);
    expect((await c.owner.api.recall.retrieve.mutate({ messageId: sent.messageId })).attachments.map((a) => a.fileName)).toEqual(['a.png']);

    const sms = await c.member.api.conversations.send.mutate({ conversationId: c.conversationId, body: 'See you Tuesday' });
    const refused = await errorOf(c.member.api.recall.message.mutate({ messageId: sms.messageId }));
    expect(refused).toMatchObject({ code: 'BAD_REQUEST' });
    expect(refused.message).toMatch(/reached the patient's phone/);

    // An SMS is not on the portal: the version does not move for it.
    expect(await version()).toBe(afterFile);
    const reply = await browser.reply(token, 'my SSN is 123-45-6789');
    const afterReply = await version();
    expect(afterReply).not.toBe(afterFile);
    expect((await browser.post('recall', { token, messageId: reply.body.message.id })).body.state).toBe('recalled');
    expect(await version()).not.toBe(afterReply);
    const staffView = (await c.member.api.conversations.get.query({ conversationId: c.conversationId })).messages.find((m) => m.id === reply.body.message.id)!;
    expect(staffView).toMatchObject({ recalled: true, body: '' });
    // Not the clinic's messages.
    expect((await browser.post('recall', { token, messageId: sent.messageId })).body.state).toBe('invalid');
  });
});
