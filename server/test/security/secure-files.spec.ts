import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { errorOf, joinAs, SAMPLE_FILES, smsClinic, startTestServer, type TestServer, uploadAttachment } from '../harness.js';
import { type Clinic, nextTokenFromSms, PortalBrowser } from '../portal/portal-helpers.js';

/**
 * Issue 12, files on Secure Chat and recall: each new procedure and route against a signed-out
 * caller, another org, a member of another team, a plain member acting on someone else's
 * message, a patient holding another link, and a hostile page.
 */
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

let server: TestServer;
let a: Clinic;
let b: Clinic;
let offTeam: Awaited<ReturnType<typeof joinAs>>;
let sentId: string;
let fileId: string;
let tokenA: string;
let omar: { id: string; phone: string | null };
let omarToken: string;
let phoneCounter = 4900;
const nextPhone = () => `+1415555${String(phoneCounter++).padStart(4, '0')}`;

async function clinic(name: string): Promise<Clinic> {
  const c = await smsClinic(server, nextPhone(), name);
  await c.owner.api.orgs.updatePolicies.mutate({ secureLinkExpiryHours: 72, quietHoursEnabled: false, quietHoursStart: '20:00', quietHoursEnd: '08:00', smsAllowed: true, externalChatAllowed: false });
  return c;
}

beforeAll(async () => {
  server = await startTestServer();
  a = await clinic('Files Org A');
  b = await clinic('Files Org B');
  offTeam = await joinAs(server, a.owner, 'member', 'Billing Person');
  const billing = await a.owner.api.teams.create.mutate({ name: 'Billing' });
  await a.owner.api.teams.addMember.mutate({ teamId: billing.id, userId: (await offTeam.api.auth.me.query())!.user.id });
  fileId = (await uploadAttachment(server, a.member.token, a.conversationId, SAMPLE_FILES.png, 'scan.png')).body.id;
  ({ token: tokenA } = await nextTokenFromSms(server, a.patient.phone!, async () => {
    sentId = (await a.member.api.conversations.send.mutate({ conversationId: a.conversationId, body: 'Biopsy: benign', channel: 'secure', attachmentIds: [fileId] })).messageId;
  }));
  omar = await a.member.api.patients.create.mutate({ firstName: 'Omar', lastName: 'Said', phone: nextPhone(), dob: '1985-03-14' });
  ({ token: omarToken } = await nextTokenFromSms(server, omar.phone!, () => a.member.api.conversations.send.mutate({ teamId: a.team.id, patientId: omar.id, body: 'Omar: hello', channel: 'secure' })));
});
afterAll(async () => {
  await server?.stop();
});

const audits = (action: string) => server.db.prisma.auditEvent.count({ where: { orgId: a.org.id, action } });

describe('sending files', () => {
  it("another org's, another team's or a signed-out caller's send cannot carry or claim a file", async () => {
    const draft = (await uploadAttachment(server, a.member.token, a.conversationId, SAMPLE_FILES.pdf, 'draft.pdf')).body.id;
    expect((await errorOf(server.anon.conversations.send.mutate({ conversationId: a.conversationId, body: '', channel: 'secure', attachmentIds: [draft] }))).code).toBe('UNAUTHORIZED');
    // Org B names org A's file in its own conversation: refused, and the file stays a draft of A's.
    const stolen = await errorOf(b.member.api.conversations.send.mutate({ conversationId: b.conversationId, body: 'x', channel: 'secure', attachmentIds: [draft] }));
    expect(stolen.code).toBe('BAD_REQUEST');
    expect((await errorOf(offTeam.api.conversations.send.mutate({ conversationId: a.conversationId, body: '', channel: 'secure', attachmentIds: [draft] }))).code).toBe('FORBIDDEN');
    expect((await server.db.prisma.attachment.findUniqueOrThrow({ where: { id: draft } })).messageId).toBeNull();
    expect(await server.db.prisma.message.count({ where: { orgId: b.org.id, channel: 'secure' } })).toBe(0);
  });
});

describe('recall procedures', () => {
  it('signed out: UNAUTHORIZED for each', async () => {
    expect((await errorOf(server.anon.recall.message.mutate({ messageId: sentId }))).code).toBe('UNAUTHORIZED');
    expect((await errorOf(server.anon.recall.attachment.mutate({ attachmentId: fileId }))).code).toBe('UNAUTHORIZED');
    expect((await errorOf(server.anon.recall.retrieve.mutate({ messageId: sentId }))).code).toBe('UNAUTHORIZED');
  });

  it("another org: NOT_FOUND (ids do not leak); a member of another team: FORBIDDEN; the admin off the team cannot retrieve", async () => {
    for (const call of [() => b.owner.api.recall.message.mutate({ messageId: sentId }), () => b.owner.api.recall.attachment.mutate({ attachmentId: fileId }), () => b.owner.api.recall.retrieve.mutate({ messageId: sentId })]) {
      expect((await errorOf(call())).code).toBe('NOT_FOUND');
    }
    for (const call of [() => offTeam.api.recall.message.mutate({ messageId: sentId }), () => offTeam.api.recall.attachment.mutate({ attachmentId: fileId }), () => offTeam.api.recall.retrieve.mutate({ messageId: sentId })]) {
      expect((await errorOf(call())).code).toBe('FORBIDDEN');
    }
    // The org's admin is not on the team: admins do not read a team's patients unless they join it.
    expect((await errorOf(a.admin.api.recall.retrieve.mutate({ messageId: sentId }))).code).toBe('FORBIDDEN');
    expect(await server.db.prisma.message.count({ where: { id: sentId, recalledAt: { not: null } } })).toBe(0);
  });

  it("a teammate (even the owner) cannot recall someone else's message or file", async () => {
    const byMember = await errorOf(a.owner.api.recall.message.mutate({ messageId: sentId }));
    expect(byMember.code).toBe('FORBIDDEN');
    expect(byMember.message).toMatch(/Only the person who sent/);
    expect((await errorOf(a.owner.api.recall.attachment.mutate({ attachmentId: fileId }))).code).toBe('FORBIDDEN');
    expect(await server.db.prisma.attachment.count({ where: { id: fileId, recalledAt: { not: null } } })).toBe(0);
  });

  it('an SMS cannot be recalled, whoever asks', async () => {
    const sms = await a.member.api.conversations.send.mutate({ conversationId: a.conversationId, body: 'See you at 3' });
    expect((await errorOf(a.member.api.recall.message.mutate({ messageId: sms.messageId }))).code).toBe('BAD_REQUEST');
  });

  it('after the recall: retrieval by a plain member refused (not audited); by the owner on the team audited each time', async () => {
    await a.member.api.recall.message.mutate({ messageId: sentId });
    expect(await audits('message.recalled')).toBe(1);
    expect((await errorOf(a.member.api.recall.retrieve.mutate({ messageId: sentId }))).code).toBe('FORBIDDEN');
    expect(await audits('recall.retrieved')).toBe(0);
    const got = await a.owner.api.recall.retrieve.mutate({ messageId: sentId });
    expect(got.body).toBe('Biopsy: benign');
    expect(await audits('recall.retrieved')).toBe(1);
    const event = await server.db.prisma.auditEvent.findFirstOrThrow({ where: { orgId: a.org.id, action: 'recall.retrieved' } });
    expect(event).toMatchObject({ actorId: (await a.owner.api.auth.me.query())!.user.id, targetId: sentId });
    // The retrieval link is the owner's alone: the member's own link is refused, and the
    // retrieval link is bound to its viewer (a changed viewer breaks the signature).
    expect((await errorOf(a.member.api.attachments.link.query({ attachmentId: fileId }))).code).toBe('PRECONDITION_FAILED');
    const url = new URL(got.attachments[0]!.url);
    url.searchParams.set('v', `r.${(await a.member.api.auth.me.query())!.user.id}`);
    expect((await fetch(url)).status).toBe(403);
    const downloaded = await fetch(got.attachments[0]!.url);
    expect(downloaded.status).toBe(200);
    expect(await server.db.prisma.auditEvent.count({ where: { orgId: a.org.id, action: 'attachment.downloaded', targetId: fileId, summary: { contains: 'recalled' } } })).toBe(1);
  });
});

describe('portal files and recall', () => {
  it("a patient holding another link sees, downloads, claims and recalls nothing of this conversation's", async () => {
    const omarPhone = new PortalBrowser(server);
    expect((await omarPhone.verify(omarToken, '1985-03-14')).body.state).toBe('verified');
    // Omar's own link names Amina's file and message: not part of his conversation.
    expect((await omarPhone.post('file', { token: omarToken, attachmentId: fileId })).body.state).toBe('invalid');
    expect((await omarPhone.post('recall', { token: omarToken, messageId: sentId })).body.state).toBe('invalid');
    // Amina's token on Omar's device: asks for a date of birth, shows nothing.
    expect((await omarPhone.post('file', { token: tokenA, attachmentId: fileId })).body.state).toBe('verify');
    const upload = await fetch(`${server.url}/api/portal/upload?name=x.png`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'x-portal-token': tokenA, 'x-forwarded-for': omarPhone.ip, cookie: omarPhone.cookie! },
      body: SAMPLE_FILES.png,
    });
    expect(((await upload.json()) as { state: string }).state).toBe('verify');
    // A staff draft in Omar's conversation (uploaded, never sent) is not his to open or to send.
    const omarConversation = (await server.db.prisma.conversation.findFirstOrThrow({ where: { patientId: omar.id } })).id;
    const draft = (await uploadAttachment(server, a.member.token, omarConversation, SAMPLE_FILES.pdf, 'not-yet.pdf')).body.id;
    expect((await omarPhone.post('file', { token: omarToken, attachmentId: draft })).body.state).toBe('invalid');
    expect((await omarPhone.post('reply', { token: omarToken, body: 'x', attachmentIds: [draft] })).body.state).toBe('invalid');
    expect((await server.db.prisma.attachment.findUniqueOrThrow({ where: { id: draft } })).messageId).toBeNull();
  });

  it('signed out of the portal (no device): no file link, no upload, no recall; a hostile page cannot post a form upload', async () => {
    const stranger = new PortalBrowser(server);
    expect((await stranger.post('file', { token: tokenA, attachmentId: fileId })).body.state).toBe('verify');
    expect((await stranger.post('recall', { token: tokenA, messageId: sentId })).body.state).toBe('verify');
    const before = await server.db.prisma.attachment.count();
    const noDevice = await fetch(`${server.url}/api/portal/upload?name=x.png`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', 'x-portal-token': tokenA }, body: SAMPLE_FILES.png });
    expect(((await noDevice.json()) as { state: string }).state).toBe('verify');
    // A cross-site form (text/plain or multipart, no custom header) is refused before anything is read.
    const form = await fetch(`${server.url}/api/portal/upload?name=x.png`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'token=x' });
    expect(form.status).toBe(400);
    const formWithToken = await fetch(`${server.url}/api/portal/upload?name=x.png`, { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=x', 'x-portal-token': tokenA }, body: '--x--' });
    expect(formWithToken.status).toBe(415);
    expect(await server.db.prisma.attachment.count()).toBe(before);
  });
});
