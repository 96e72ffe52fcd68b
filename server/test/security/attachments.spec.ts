import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, joinAs, orgWithStaff, SAMPLE_FILES, smsClinic, startTestServer, type TestServer, uploadAttachment } from '../harness.js';
import { webCookie } from './http-helpers.js';

/**
 * Attachments carry PHI (photos of wounds, lab PDFs): only the conversation's team may add or
 * open them, a download link is a short-lived capability for one viewer and one file, and
 * nothing a user names reaches the filesystem or the response headers.
 */
describe('attachments: who may upload and open', () => {
  let server: TestServer;
  let clinic: Awaited<ReturnType<typeof smsClinic>>;
  let other: Awaited<ReturnType<typeof orgWithStaff>>;
  let otherTeamMember: Awaited<ReturnType<typeof joinAs>>;
  let attachmentId: string;

  beforeAll(async () => {
    server = await startTestServer();
    clinic = await smsClinic(server, '+14155550100', 'Attachment Clinic');
    other = await orgWithStaff(server, 'Other Org');
    // A plain member of the same organization, on another team.
    otherTeamMember = await joinAs(server, clinic.owner, 'member', 'Billing Person');
    const billing = await clinic.owner.api.teams.create.mutate({ name: 'Billing' });
    await clinic.owner.api.teams.addMember.mutate({ teamId: billing.id, userId: (await otherTeamMember.api.auth.me.query())!.user.id });
    attachmentId = (await uploadAttachment(server, clinic.member.token, clinic.conversationId, SAMPLE_FILES.pdf, 'results.pdf')).body.id;
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  const stored = () => server.db.prisma.attachment.count();
  const files = () => (readdirSync(server.attachmentsDir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[]).filter((d) => d.isFile()).length;

  it('signed out: upload 401, link UNAUTHORIZED, nothing stored', async () => {
    const before = [await stored(), files()];
    const up = await uploadAttachment(server, null, clinic.conversationId, SAMPLE_FILES.png, 'x.png');
    expect(up.status).toBe(401);
    expect([await stored(), files()]).toEqual(before);
    expect((await errorOf(server.anon.attachments.link.query({ attachmentId }))).code).toBe('UNAUTHORIZED');
  });

  const outsiders = () =>
    [
      ["another organization's owner", other.owner.token, 404, 'NOT_FOUND'],
      ['an admin of the same organization who is not on the team', clinic.admin.token, 403, 'FORBIDDEN'],
      ['a plain member of another team', otherTeamMember.token, 403, 'FORBIDDEN'],
    ] as const;

  it('outsiders cannot upload into the conversation: another org 404, same org off the team 403; nothing stored', async () => {
    for (const [who, token, status] of outsiders()) {
      const before = [await stored(), files()];
      const up = await uploadAttachment(server, token, clinic.conversationId, SAMPLE_FILES.png, 'x.png');
      expect(up.status, who).toBe(status);
      expect([await stored(), files()], who).toEqual(before);
    }
  });

  it('outsiders cannot get a link to a file of the conversation', async () => {
    for (const [who, token, , code] of outsiders()) {
      const failure = await errorOf(server.as(token).attachments.link.query({ attachmentId }));
      expect(failure.code, who).toBe(code);
      expect(failure.message).not.toContain('results.pdf');
    }
  });

  it('a link stops working at once when its holder leaves the team or the organization', async () => {
    const extra = await joinAs(server, clinic.owner, 'member', 'Temp Nurse');
    const extraId = (await extra.api.auth.me.query())!.user.id;
    await clinic.owner.api.teams.addMember.mutate({ teamId: clinic.team.id, userId: extraId });
    const link = await extra.api.attachments.link.query({ attachmentId });
    expect((await fetch(link.url)).status).toBe(200);
    await clinic.owner.api.teams.removeMember.mutate({ teamId: clinic.team.id, userId: extraId });
    const afterTeam = await fetch(link.url);
    expect(afterTeam.status).toBe(403);
    expect(await afterTeam.text()).not.toContain('%PDF');

    await clinic.owner.api.teams.addMember.mutate({ teamId: clinic.team.id, userId: extraId });
    const again = await extra.api.attachments.link.query({ attachmentId });
    const membership = (await clinic.owner.api.members.list.query()).find((m) => m.user.email === extra.email)!;
    await clinic.owner.api.members.remove.mutate({ membershipId: membership.id });
    expect((await fetch(again.url)).status).toBe(403);
  });

  it('a patient link for one conversation does not open a file of another', async () => {
    const link = await clinic.member.api.attachments.link.query({ attachmentId });
    const elsewhere = await smsClinic(server, '+14155550166', 'Elsewhere');
    const u = new URL(link.url);
    u.searchParams.set('v', `p.${elsewhere.conversationId}`);
    expect((await fetch(u)).status).toBe(403);
  });

  it('a forged path (traversal in the id) is just an invalid link, or no route at all', async () => {
    const link = new URL((await clinic.member.api.attachments.link.query({ attachmentId })).url);
    for (const id of ['..%2F..%2F..%2Fetc%2Fpasswd', '%2E%2E', 'tmp', `${attachmentId}%2F..%2F..`]) {
      const res = await fetch(`${server.url}/api/attachments/${id}/passwd${link.search}`);
      expect([403, 404], id).toContain(res.status);
      const body = await res.text();
      expect(body).not.toContain('root:');
      expect(body).not.toContain('%PDF');
    }
  });

  describe('CSRF and body shape', () => {
    it('a cookie upload from another site is refused and stores nothing; from our own origin it works', async () => {
      const cookie = await webCookie(server, clinic.member.email);
      const before = [await stored(), files()];
      const forged = await uploadAttachment(server, { cookie, origin: 'https://evil.example' }, clinic.conversationId, SAMPLE_FILES.png, 'x.png');
      expect(forged.status).toBe(403);
      expect([await stored(), files()]).toEqual(before);
      const own = await uploadAttachment(server, { cookie, origin: server.url }, clinic.conversationId, SAMPLE_FILES.png, 'x.png');
      expect(own.status).toBe(201);
    });

    it('a form or JSON body is refused (415): the upload takes the raw file', async () => {
      for (const type of ['application/json', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded']) {
        const up = await uploadAttachment(server, clinic.member.token, clinic.conversationId, '{}', 'x.png', { 'content-type': type });
        expect(up.status, type).toBe(415);
      }
    });
  });

  describe('file names are harmless', () => {
    it.each([
      ['../../../../etc/passwd.png', 'passwd.png'],
      ['..\\..\\windows\\win.ini.png', 'win.ini.png'],
      ['/absolute/path/photo.png', 'photo.png'],
      ['...', 'attachment.png'],
      ['photo\u202Egpj.exe', 'photogpj.png'],
      ['a"b<c>.png', 'a_b_c_.png'],
      ['line\r\nSet-Cookie: stolen=1.png', 'line Set-Cookie_ stolen=1.png'],
    ])('%j is kept as %j, and the file is stored under a random key', async (raw, expected) => {
      const up = await uploadAttachment(server, clinic.member.token, clinic.conversationId, SAMPLE_FILES.png, raw);
      expect(up.status).toBe(201);
      expect(up.body.fileName).toBe(expected);
      const row = await server.db.prisma.attachment.findUniqueOrThrow({ where: { id: up.body.id } });
      expect(row.storageKey).toMatch(/^[0-9a-f]{32}$/);
      const onDisk = (readdirSync(server.attachmentsDir, { recursive: true }) as string[]).map((f) => path.basename(f));
      expect(onDisk.some((f) => f.includes('passwd') || f.includes('win.ini') || f.includes('photo'))).toBe(false);
      const res = await fetch((await clinic.member.api.attachments.link.query({ attachmentId: up.body.id })).url);
      expect(res.status).toBe(200);
      expect(res.headers.get('set-cookie')).toBeNull();
      expect(res.headers.get('content-disposition')).toContain(`filename*=UTF-8''${encodeURIComponent(expected)}`);
    });
  });

  it('a hostile file (HTML named as an image) is never stored, so it can never be served', async () => {
    const up = await uploadAttachment(server, clinic.member.token, clinic.conversationId, SAMPLE_FILES.html, 'cat.gif');
    expect(up.status).toBe(415);
  });
});
