import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, joinAs, SAMPLE_FILES, smsClinic, startTestServer, type TestServer, uploadAttachment } from '../harness.js';
import { webCookie } from './http-helpers.js';

/**
 * MMS blast images. Another org cannot put an image of ours on its blast or its test (nor learn
 * that it exists), nor list it. A signed-out caller cannot upload; a cookie upload from another
 * origin is refused (CSRF). A staff link stops at once when its holder leaves the org; the
 * carrier's link works only for the image it was made for; links for blast images and for
 * conversation files are signed under different keys, so neither opens the other.
 */

let server: TestServer;
let a: Awaited<ReturnType<typeof smsClinic>>;
let b: Awaited<ReturnType<typeof smsClinic>>;
let cohortB: string;
let imageA: { id: string; url: string };

const upload = async (token: string | null, bytes: Uint8Array, name = 'x.png', headers: Record<string, string> = {}) => {
  const res = await fetch(`${server.url}/api/blast-images?name=${encodeURIComponent(name)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: bytes,
  });
  return { status: res.status, body: (await res.json()) as { id: string; url: string; error?: string } };
};

beforeAll(async () => {
  server = await startTestServer();
  a = await smsClinic(server, '+14155550601', 'Images Sec A');
  b = await smsClinic(server, '+14155550602', 'Images Sec B');
  cohortB = (await b.owner.api.cohorts.create.mutate({ name: 'Everyone B', filter: {} })).id;
  imageA = (await upload(a.member.token, SAMPLE_FILES.png, 'a-secret-flyer.png')).body;
});
afterAll(async () => {
  await server?.stop();
});

describe('blast images: another org', () => {
  it("cannot send a blast or a test with our image (NOT_FOUND, as for an unknown id), and nothing is queued", async () => {
    const messages = await server.db.prisma.message.count();
    const send = await errorOf(b.member.api.blasts.send.mutate({ teamId: b.team.id, cohortIds: [cohortB], body: 'Hi', marketing: false, idempotencyKey: 'steal-img-1', imageIds: [imageA.id] }));
    const unknown = await errorOf(b.member.api.blasts.send.mutate({ teamId: b.team.id, cohortIds: [cohortB], body: 'Hi', marketing: false, idempotencyKey: 'steal-img-2', imageIds: ['00000000-0000-4000-8000-000000000000'] }));
    expect(send).toEqual(unknown);
    expect(send.code).toBe('NOT_FOUND');
    await b.member.api.account.setPhone.mutate({ phone: '+14155550699' });
    expect((await errorOf(b.member.api.blasts.sendTest.mutate({ teamId: b.team.id, cohortIds: [cohortB], body: 'Hi', marketing: false, imageIds: [imageA.id] }))).code).toBe('NOT_FOUND');
    expect(await server.db.prisma.blast.count({ where: { orgId: b.org.id } })).toBe(0);
    expect(await server.db.prisma.message.count()).toBe(messages);
    expect(server.simulator!.messages().filter((m) => m.mediaUrls.length > 0)).toEqual([]);
  });

  it('cannot list our image or get a link to it', async () => {
    expect(await b.owner.api.blasts.images.query({ imageIds: [imageA.id] })).toEqual([]);
  });
});

describe('blast images: upload', () => {
  it('signed out: 401, nothing kept', async () => {
    const before = await server.db.prisma.blastImage.count();
    expect((await upload(null, SAMPLE_FILES.png)).status).toBe(401);
    expect(await server.db.prisma.blastImage.count()).toBe(before);
  });

  it("a cookie upload from another site's page is refused (CSRF); from our own page it is accepted", async () => {
    const cookie = await webCookie(server, a.member.email);
    expect((await upload(null, SAMPLE_FILES.png, 'x.png', { cookie, origin: 'https://evil.example' })).status).toBe(403);
    expect((await upload(null, SAMPLE_FILES.png, 'x.png', { cookie, origin: server.url })).status).toBe(201);
  });

  it('a form or JSON body is refused (the body parsers never read it)', async () => {
    expect((await upload(a.member.token, SAMPLE_FILES.png, 'x.png', { 'content-type': 'multipart/form-data; boundary=x' })).status).toBe(415);
  });
});

describe('blast images: links', () => {
  it("a staff link stops working when its holder leaves the organization", async () => {
    const temp = await joinAs(server, a.owner, 'member', 'Temp Staff');
    const [shown] = await temp.api.blasts.images.query({ imageIds: [imageA.id] });
    expect((await fetch(shown!.url)).status).toBe(200);
    const membership = (await a.owner.api.members.list.query()).find((m) => m.user.email === temp.email)!;
    await a.owner.api.members.remove.mutate({ membershipId: membership.id });
    const after = await fetch(shown!.url);
    expect(after.status).toBe(403);
    expect(Buffer.from(await after.arrayBuffer()).includes(SAMPLE_FILES.png.subarray(0, 8))).toBe(false);
  });

  it('without a signature, or with a viewer swapped in, the image is not served', async () => {
    const u = new URL(imageA.url);
    expect((await fetch(`${server.url}/api/blast-images/${imageA.id}`)).status).toBe(403);
    u.searchParams.set('v', 'c.mms');
    expect((await fetch(u)).status).toBe(403);
  });

  it("a conversation file's link does not open a blast image, and a blast image's signature does not open a conversation file", async () => {
    const file = (await uploadAttachment(server, a.member.token, a.conversationId, SAMPLE_FILES.png, 'chart.png')).body;
    const fileLink = new URL((await a.member.api.attachments.link.query({ attachmentId: file.id })).url);
    const asImage = new URL(`${server.url}/api/blast-images/${file.id}`);
    fileLink.searchParams.forEach((value, key) => asImage.searchParams.set(key, value));
    expect((await fetch(asImage)).status).toBe(403);
    // The image's signature (its own key), on the file's download path with the file's id.
    const imageLink = new URL(imageA.url);
    const asFile = new URL(fileLink);
    imageLink.searchParams.forEach((value, key) => asFile.searchParams.set(key, value));
    expect((await fetch(asFile)).status).toBe(403);
  });
});
