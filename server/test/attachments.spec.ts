import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessService } from '../src/access/access.service.js';
import { AttachmentsService, type PortalContext } from '../src/attachments/attachments.service.js';
import { Readable } from 'node:stream';
import { errorOf, SAMPLE_FILES, smsClinic, startAnotherInstance, startTestServer, type TestServer, uploadAttachment } from './harness.js';

/** Files kept in the attachments directory (temporary ones included), relative to it. */
function filesOnDisk(server: TestServer): string[] {
  try {
    return (readdirSync(server.attachmentsDir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
      .filter((d) => d.isFile())
      .map((d) => path.relative(server.attachmentsDir, path.join(d.parentPath, d.name)));
  } catch {
    return [];
  }
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('attachments', () => {
  let server: TestServer;
  let clinic: Awaited<ReturnType<typeof smsClinic>>;
  beforeAll(async () => {
    server = await startTestServer({ attachmentMaxBytes: 64 * 1024 });
    clinic = await smsClinic(server);
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  const upload = (bytes: Uint8Array | string, name: string) => uploadAttachment(server, clinic.member.token, clinic.conversationId, bytes, name);

  it('round trip: a team member uploads a PDF and downloads the same bytes through a signed link, as a download', async () => {
    const sent = Buffer.concat([SAMPLE_FILES.pdf, Buffer.alloc(20_000, 7)]);
    const up = await upload(sent, 'Lab results.pdf');
    expect(up.status).toBe(201);
    expect(up.body).toMatchObject({ fileName: 'Lab results.pdf', contentType: 'application/pdf', size: sent.length, conversationId: clinic.conversationId, uploadedBy: 'staff' });
    const row = await server.db.prisma.attachment.findUniqueOrThrow({ where: { id: up.body.id } });
    expect(row.sha256).toBe(sha256(sent));
    expect(filesOnDisk(server)).toContain(path.join(row.storageKey.slice(0, 2), row.storageKey));

    const link = await clinic.owner.api.attachments.link.query({ attachmentId: up.body.id });
    expect(link.url.startsWith(`${server.url}/api/attachments/${up.body.id}/Lab%20results.pdf?`)).toBe(true);
    const res = await fetch(link.url);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(sent)).toBe(true);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="Lab results.pdf"; filename*=UTF-8''Lab%20results.pdf`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toMatch(/^sandbox;/);
    expect(res.headers.get('cache-control')).toBe('private, no-store');
  });

  it('an image is served inline, with the type read from its bytes', async () => {
    const up = await upload(SAMPLE_FILES.jpeg, 'wound photo.jpeg');
    expect(up.body.contentType).toBe('image/jpeg');
    const res = await fetch((await clinic.member.api.attachments.link.query({ attachmentId: up.body.id })).url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(res.headers.get('content-disposition')).toMatch(/^inline; filename="wound photo.jpeg"/);
    expect(Buffer.from(await res.arrayBuffer()).equals(SAMPLE_FILES.jpeg)).toBe(true);
  });

  it('a real PNG named x.pdf is stored and served as image/png, under a matching name', async () => {
    const up = await upload(SAMPLE_FILES.png, 'x.pdf');
    expect(up.status).toBe(201);
    expect(up.body).toMatchObject({ contentType: 'image/png', fileName: 'x.png' });
    const res = await fetch((await clinic.member.api.attachments.link.query({ attachmentId: up.body.id })).url);
    expect(res.headers.get('content-type')).toBe('image/png');
  });

  it.each([
    ['an .exe named photo.jpg', SAMPLE_FILES.exe, 'photo.jpg'],
    ['an HTML page named a.pdf', SAMPLE_FILES.html, 'a.pdf'],
    ['plain text named notes.png', Buffer.from('just some notes'), 'notes.png'],
  ])('refuses %s with 415 and keeps nothing', async (_what, bytes, name) => {
    const before = await server.db.prisma.attachment.count();
    const files = filesOnDisk(server);
    const up = await upload(bytes, name);
    expect(up.status).toBe(415);
    expect(up.body.error).toContain('not a type CareText accepts');
    expect(up.body.error).toContain('PDF');
    expect(await server.db.prisma.attachment.count()).toBe(before);
    expect(filesOnDisk(server)).toEqual(files);
  });

  it('refuses an empty file', async () => {
    const up = await upload(new Uint8Array(0), 'empty.png');
    expect(up.status).toBe(400);
    expect(up.body.error).toBe('The file is empty.');
  });

  describe('size limit', () => {
    const big = () => Buffer.concat([SAMPLE_FILES.png, Buffer.alloc(64 * 1024, 1)]);

    it('a declared length over the limit gets 413, nothing stored', async () => {
      const before = await server.db.prisma.attachment.count();
      const files = filesOnDisk(server);
      const up = await upload(big(), 'big.png');
      expect(up.status).toBe(413);
      expect(up.body.error).toContain('larger than');
      expect(await server.db.prisma.attachment.count()).toBe(before);
      expect(filesOnDisk(server)).toEqual(files);
    });

    it('a streamed body without a length is cut off past the limit: 413, no row, no temporary file left', async () => {
      const before = await server.db.prisma.attachment.count();
      const files = filesOnDisk(server);
      const chunks = [SAMPLE_FILES.png, ...Array.from({ length: 12 }, () => Buffer.alloc(8 * 1024, 2))];
      const res = await fetch(`${server.url}/api/attachments?conversationId=${clinic.conversationId}&name=stream.png`, {
        method: 'POST',
        headers: { authorization: `Bearer ${clinic.member.token}`, 'content-type': 'application/octet-stream' },
        body: Readable.toWeb(Readable.from(chunks)) as ReadableStream,
        duplex: 'half',
      } as RequestInit);
      expect(res.status).toBe(413);
      expect(((await res.json()) as { error: string }).error).toContain('larger than 64 kB');
      expect(await server.db.prisma.attachment.count()).toBe(before);
      expect(filesOnDisk(server)).toEqual(files);
    });

    it('a file just at the limit is accepted', async () => {
      const exact = Buffer.concat([SAMPLE_FILES.png, Buffer.alloc(64 * 1024 - SAMPLE_FILES.png.length, 3)]);
      const up = await upload(exact, 'exact.png');
      expect(up.status).toBe(201);
      expect(up.body.size).toBe(64 * 1024);
    });
  });

  describe('signed links', () => {
    let attachmentId: string;
    beforeAll(async () => {
      attachmentId = (await upload(SAMPLE_FILES.png, 'scan.png')).body.id;
    });

    const tamper = (url: string, edit: (u: URL) => void) => {
      const u = new URL(url);
      edit(u);
      return u.toString();
    };

    it('expires after 5 minutes (410), and a fresh link works again', async () => {
      const link = await clinic.member.api.attachments.link.query({ attachmentId });
      expect(link.expiresAt.getTime() - server.clock.now().getTime()).toBeLessThanOrEqual(5 * 60_000);
      server.clock.advance(4 * 60_000);
      expect((await fetch(link.url)).status).toBe(200);
      server.clock.advance(61_000);
      const expired = await fetch(link.url);
      expect(expired.status).toBe(410);
      expect(((await expired.json()) as { error: string }).error).toContain('expired');
      expect((await fetch((await clinic.member.api.attachments.link.query({ attachmentId })).url)).status).toBe(200);
    });

    it('a tampered signature, a stretched expiry, another viewer or another attachment get 403 and no bytes', async () => {
      const link = await clinic.member.api.attachments.link.query({ attachmentId });
      const other = (await upload(SAMPLE_FILES.jpeg, 'other.jpg')).body.id;
      const ownerId = (await clinic.owner.api.auth.me.query())!.user.id;
      const variants = [
        tamper(link.url, (u) => u.searchParams.set('sig', u.searchParams.get('sig')!.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')))),
        tamper(link.url, (u) => u.searchParams.set('exp', String(Number(u.searchParams.get('exp')) + 3600))),
        tamper(link.url, (u) => u.searchParams.set('v', `u.${ownerId}`)),
        tamper(link.url, (u) => u.searchParams.set('v', `p.${clinic.conversationId}`)),
        tamper(link.url, (u) => (u.pathname = u.pathname.replace(attachmentId, other))),
        tamper(link.url, (u) => u.searchParams.delete('sig')),
      ];
      for (const url of variants) {
        const res = await fetch(url);
        expect(res.status, url).toBe(403);
        expect(res.headers.get('content-type')).toMatch(/^application\/json/);
        expect(await res.text()).not.toContain('PNG');
      }
    });

    it('the file name in the path is cosmetic: the stored name is what is offered', async () => {
      const link = await clinic.member.api.attachments.link.query({ attachmentId });
      const res = await fetch(tamper(link.url, (u) => (u.pathname = u.pathname.replace('scan.png', 'evil.html'))));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-disposition')).toMatch(/filename="scan.png"/);
      expect(res.headers.get('content-type')).toBe('image/png');
    });

    it('a recalled file is no longer served (410) and no new link is given', async () => {
      const id = (await upload(SAMPLE_FILES.png, 'recall-me.png')).body.id;
      const link = await clinic.member.api.attachments.link.query({ attachmentId: id });
      await server.db.prisma.attachment.update({ where: { id }, data: { recalledAt: server.clock.now() } });
      const res = await fetch(link.url);
      expect(res.status).toBe(410);
      expect(((await res.json()) as { error: string }).error).toContain('recalled');
      expect((await errorOf(clinic.member.api.attachments.link.query({ attachmentId: id }))).code).toBe('PRECONDITION_FAILED');
    });

    it('a link made on one instance works on another (the signing secret is shared through the database)', async () => {
      const second = await startAnotherInstance(server);
      try {
        const link = await clinic.member.api.attachments.link.query({ attachmentId });
        const res = await fetch(link.url.replace(server.url, second.url));
        expect(res.status).toBe(200);
      } finally {
        await second.stop();
      }
    });
  });

  it('audits downloads: who and which file, once per viewer and file per 10 minutes', async () => {
    const id = (await upload(SAMPLE_FILES.png, 'audited.png')).body.id;
    const count = () => server.db.prisma.auditEvent.count({ where: { action: 'attachment.downloaded', targetId: id } });
    const link = await clinic.member.api.attachments.link.query({ attachmentId: id });
    expect(await count()).toBe(0);
    await fetch(link.url);
    await fetch(link.url);
    expect(await count()).toBe(1);
    await fetch((await clinic.owner.api.attachments.link.query({ attachmentId: id })).url);
    expect(await count()).toBe(2);
    server.clock.advance(11 * 60_000);
    await fetch((await clinic.member.api.attachments.link.query({ attachmentId: id })).url);
    expect(await count()).toBe(3);
    const { events } = await clinic.owner.api.audit.list.query({ action: 'attachment.downloaded', limit: 10 });
    expect(events[0]).toMatchObject({ actionLabel: 'File downloaded', summary: 'Downloaded audited.png', targetId: id });
    // A refused download is not a download.
    const expired = await clinic.member.api.attachments.link.query({ attachmentId: id });
    server.clock.advance(6 * 60_000);
    expect((await fetch(expired.url)).status).toBe(410);
    expect(await count()).toBe(3);
  });

  it("lists a conversation's files for its team and ties them to the message that carries them, once", async () => {
    const service = server.app.get(AttachmentsService);
    const one = (await upload(SAMPLE_FILES.png, 'one.png')).body.id;
    const two = (await upload(SAMPLE_FILES.pdf, 'two.pdf')).body.id;
    const elsewhere = await smsClinic(server, '+14155550155', 'Third Clinic');
    const foreign = (await uploadAttachment(server, elsewhere.member.token, elsewhere.conversationId, SAMPLE_FILES.png, 'foreign.png')).body.id;
    const { messageId } = await clinic.member.api.conversations.send.mutate({ conversationId: clinic.conversationId, body: 'Your results are attached' });
    const conversation = { orgId: clinic.org.id, id: clinic.conversationId };

    expect(await service.attachToMessage(conversation, messageId, [one, two, foreign])).toBe(2);
    expect(await service.attachToMessage(conversation, messageId, [one])).toBe(0);
    expect((await server.db.prisma.attachment.findUniqueOrThrow({ where: { id: foreign } })).messageId).toBeNull();

    const memberActor = { userId: (await clinic.member.api.auth.me.query())!.user.id, orgId: clinic.org.id, role: 'member', membershipId: '', ip: null };
    const scope = await server.app.get(AccessService).requireConversation(memberActor, clinic.conversationId);
    const listed = await service.listForConversation(scope);
    expect(listed.filter((a) => a.messageId === messageId).map((a) => a.fileName)).toEqual(['one.png', 'two.pdf']);
    expect(listed.some((a) => a.id === foreign)).toBe(false);
  });

  describe('patient (portal) uploads and links, as the portal will call them', () => {
    const portal = (): PortalContext => ({ kind: 'patient', orgId: clinic.org.id, conversationId: clinic.conversationId, ip: '203.0.113.9' });

    it('a patient upload lands in their conversation, marked as the patient, and staff can open it', async () => {
      const service = server.app.get(AttachmentsService);
      const up = await service.uploadForPatient(portal(), 'IMG_0042.HEIC.jpg', Readable.from([SAMPLE_FILES.jpeg]));
      expect(up).toMatchObject({ uploadedBy: 'patient', contentType: 'image/jpeg', fileName: 'IMG_0042.HEIC.jpg', conversationId: clinic.conversationId });
      expect((await server.db.prisma.attachment.findUniqueOrThrow({ where: { id: up.id } })).uploadedById).toBeNull();
      const res = await fetch((await clinic.member.api.attachments.link.query({ attachmentId: up.id })).url);
      expect(res.status).toBe(200);
    });

    it("a patient's link works for their conversation's files only, and the download is audited as the patient", async () => {
      const service = server.app.get(AttachmentsService);
      const id = (await upload(SAMPLE_FILES.pdf, 'instructions.pdf')).body.id;
      const link = await service.linkForPatient(portal(), id);
      const res = await fetch(link.url);
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(SAMPLE_FILES.pdf)).toBe(true);
      const event = await server.db.prisma.auditEvent.findFirstOrThrow({ where: { action: 'attachment.downloaded', targetId: id } });
      expect(event).toMatchObject({ actorId: null, summary: 'The patient downloaded instructions.pdf' });

      const elsewhere = await smsClinic(server, '+14155550177', 'Elsewhere Clinic');
      const foreign = (await uploadAttachment(server, elsewhere.member.token, elsewhere.conversationId, SAMPLE_FILES.png, 'theirs.png')).body.id;
      await expect(service.linkForPatient(portal(), foreign)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(service.uploadForPatient({ ...portal(), conversationId: elsewhere.conversationId }, 'x.png', Readable.from([SAMPLE_FILES.png]))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });
  });
});

