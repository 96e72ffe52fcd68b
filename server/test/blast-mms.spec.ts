import { estimateSmsCost, MMS_IMAGE_MAX_BYTES, SMS_SEGMENT_PRICE_USD } from '@caretext/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARRIER_LINK_TTL_MS, MEDIA_REF_PREFIX } from '../src/blasts/blast-images.js';
import { errorOf, SAMPLE_FILES, smsClinic, startTestServer, type TestServer, waitFor } from './harness.js';

/**
 * MMS blasts: images uploaded by the wizard (JPEG, PNG or GIF by their bytes, each under 1 MB,
 * at most 3) ride on every message of the blast. The carrier (the simulator, through the Twilio
 * SDK) gets them as MediaUrl: public links signed at send time that download the very bytes
 * and expire. Retry Failed, Add Recipients and Send Test to Me carry the same images.
 */

const GIF = Buffer.from('47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b', 'hex');
const WEBP = Buffer.from('524946461a000000574542505650384c0d0000002f0000000007d0ff fe f7bf000000'.replace(/ /g, ''), 'hex');

let server: TestServer;
let clinic: Awaited<ReturnType<typeof smsClinic>>;
let cohortId: string;
const phones = { ann: '+14155550401', bea: '+14155550402', fails: '+14155550003', late: '+14155550404' };
const ids: Record<string, string> = {};

async function uploadBlastImage(server: TestServer, token: string | null, bytes: Uint8Array | string, name: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}/api/blast-images?name=${encodeURIComponent(name)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: bytes,
  });
  return { status: res.status, body: (await res.json()) as { id: string; fileName: string; contentType: string; size: number; url: string; error?: string } };
}

beforeAll(async () => {
  server = await startTestServer();
  clinic = await smsClinic(server, '+14155550400', 'MMS Clinic');
  await clinic.owner.api.numbers.update.mutate({ numberId: clinic.number.id, messagesPerSecond: 50 });
  const base = { orgId: clinic.org.id, phoneLineType: 'mobile' };
  for (const [key, firstName, phone, tags] of [
    ['ann', 'Ann', phones.ann, ['mms']],
    ['bea', 'Bea', phones.bea, ['mms']],
    ['fails', 'Fay', phones.fails, ['mms']],
    ['late', 'Lou', phones.late, []],
  ] as const) {
    ids[key] = (await server.db.prisma.patient.create({ data: { ...base, firstName, lastName: 'Moss', phone, tags: [...tags] } })).id;
  }
  cohortId = (await clinic.owner.api.cohorts.create.mutate({ name: 'MMS', filter: { tags: ['mms'] } })).id;
});
afterAll(async () => {
  await server?.stop();
});

const sentTo = (phone: string) => server.simulator!.messages().filter((m) => m.to === phone && m.direction === 'outbound-api');
const bytesOf = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get('content-type'), bytes: Buffer.from(await res.arrayBuffer()) };
};

describe('uploading blast images', () => {
  it('accepts JPG, PNG and GIF by their bytes (a PNG named .gif is a PNG) and shows them to the uploader through a signed link', async () => {
    const png = await uploadBlastImage(server, clinic.member.token, SAMPLE_FILES.png, 'flyer.gif');
    expect(png).toMatchObject({ status: 201, body: { contentType: 'image/png', fileName: 'flyer.png', size: SAMPLE_FILES.png.length } });
    expect(png.body.url).toMatch(new RegExp(`^${server.url}/api/blast-images/${png.body.id}\\?exp=\\d+&v=u\\.[^&]+&sig=`));
    expect(await bytesOf(png.body.url)).toMatchObject({ status: 200, type: 'image/png', bytes: SAMPLE_FILES.png });
    expect((await uploadBlastImage(server, clinic.member.token, SAMPLE_FILES.jpeg, 'a.jpg')).body.contentType).toBe('image/jpeg');
    expect((await uploadBlastImage(server, clinic.member.token, GIF, 'b')).body).toMatchObject({ contentType: 'image/gif', fileName: 'b.gif' });
  });

  it('refuses what is not a JPG, PNG or GIF whatever its name, an empty file, and an image of 1 MB or more; nothing is kept', async () => {
    const before = await server.db.prisma.blastImage.count();
    for (const [bytes, name] of [
      [SAMPLE_FILES.pdf, 'flyer.jpg'],
      [SAMPLE_FILES.html, 'flyer.png'],
      [SAMPLE_FILES.exe, 'flyer.gif'],
      [WEBP, 'photo.webp'],
    ] as const) {
      const up = await uploadBlastImage(server, clinic.member.token, bytes, name);
      expect([name, up.status, up.body.error]).toEqual([name, 415, expect.stringContaining('not a JPG, PNG or GIF image')]);
    }
    expect((await uploadBlastImage(server, clinic.member.token, new Uint8Array(0), 'x.png')).status).toBe(400);
    const oneMb = Buffer.concat([SAMPLE_FILES.png, Buffer.alloc(MMS_IMAGE_MAX_BYTES + 1 - SAMPLE_FILES.png.length, 1)]);
    const big = await uploadBlastImage(server, clinic.member.token, oneMb, 'big.png');
    expect(big).toMatchObject({ status: 413, body: { error: expect.stringContaining('under 1 MB') } });
    expect(await server.db.prisma.blastImage.count()).toBe(before);
    const justUnder = await uploadBlastImage(server, clinic.member.token, oneMb.subarray(0, MMS_IMAGE_MAX_BYTES), 'under.png');
    expect(justUnder).toMatchObject({ status: 201, body: { size: MMS_IMAGE_MAX_BYTES } });
  });

  it('is for signed-in staff only', async () => {
    expect((await uploadBlastImage(server, null, SAMPLE_FILES.png, 'x.png')).status).toBe(401);
  });
});

describe('an MMS blast', () => {
  let blastId: string;
  let images: { id: string }[];

  it('refuses more than 3 images', async () => {
    const four = await Promise.all([1, 2, 3, 4].map((i) => uploadBlastImage(server, clinic.member.token, SAMPLE_FILES.png, `${i}.png`)));
    const refused = await errorOf(
      clinic.member.api.blasts.send.mutate({ teamId: clinic.team.id, cohortIds: [cohortId], body: 'Hi', marketing: false, idempotencyKey: 'mms-four-1', imageIds: four.map((u) => u.body.id) }),
    );
    expect(refused).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('at most 3 images') });
    expect(await server.db.prisma.blast.count({ where: { orgId: clinic.org.id } })).toBe(0);
  });

  it('with 2 images reaches the carrier as MMS, once per patient, with 2 media links that download the right bytes', async () => {
    images = [(await uploadBlastImage(server, clinic.member.token, SAMPLE_FILES.jpeg, 'flu.jpg')).body, (await uploadBlastImage(server, clinic.member.token, GIF, 'map.gif')).body];
    const input = { teamId: clinic.team.id, cohortIds: [cohortId], body: 'Hi {{first_name}}, flu shots Friday.', marketing: false, idempotencyKey: 'mms-blast-1', imageIds: images.map((i) => i.id) };
    const [first, second] = await Promise.all([clinic.member.api.blasts.send.mutate(input), clinic.member.api.blasts.send.mutate(input)]);
    expect(first.blast.id).toBe(second.blast.id);
    blastId = first.blast.id;
    expect(first.blast.imageIds).toEqual(input.imageIds);
    await waitFor(async () => {
      await server.simulator!.settle();
      const b = await clinic.member.api.blasts.get.query({ blastId });
      return b.status === 'completed' ? b : null;
    }, 2400);

    // The queued messages hold references, never a usable link.
    const stored = await server.db.prisma.message.findMany({ where: { idempotencyKey: `blast:${blastId}` } });
    expect(stored).toHaveLength(3);
    for (const m of stored) {
      expect(m.channel).toBe('mms');
      expect(m.mediaUrls).toEqual(images.map((i) => MEDIA_REF_PREFIX + i.id));
    }

    for (const phone of [phones.ann, phones.bea, phones.fails]) expect(sentTo(phone)).toHaveLength(1);
    const ann = sentTo(phones.ann)[0]!;
    expect(ann.sid.startsWith('MM')).toBe(true);
    expect(ann.body).toBe('Hi Ann, flu shots Friday.');
    expect(ann.mediaUrls).toHaveLength(2);
    for (const url of ann.mediaUrls) {
      // A public link that names only the image's random id: no file name, org, blast or patient.
      expect(url).toMatch(new RegExp(`^${server.url}/api/blast-images/[0-9a-f-]{36}\\?exp=\\d+&v=c\\.mms&sig=[\\w-]+$`));
    }
    expect(await bytesOf(ann.mediaUrls[0]!)).toMatchObject({ status: 200, type: 'image/jpeg', bytes: SAMPLE_FILES.jpeg });
    expect(await bytesOf(ann.mediaUrls[1]!)).toMatchObject({ status: 200, type: 'image/gif', bytes: GIF });
    // No cookie, no session: the carrier's link alone opens it.
    const audit = await server.db.prisma.auditEvent.findFirstOrThrow({ where: { orgId: clinic.org.id, action: 'blast.sent', targetId: blastId } });
    expect(audit.summary).toContain('MMS blast');
    expect(audit.summary).toContain('with 2 image(s)');
  });

  it("the carrier's link is refused once tampered with, moved to another image, or expired", async () => {
    const url = new URL(sentTo(phones.ann)[0]!.mediaUrls[0]!);
    const tampered = new URL(url);
    tampered.searchParams.set('sig', `${url.searchParams.get('sig')!.slice(0, -2)}AA`);
    expect((await fetch(tampered)).status).toBe(403);
    const moved = new URL(url);
    moved.pathname = `/api/blast-images/${images[1]!.id}`;
    expect((await fetch(moved)).status).toBe(403);
    const stretched = new URL(url);
    stretched.searchParams.set('exp', String(Number(url.searchParams.get('exp')) + 86_400));
    expect((await fetch(stretched)).status).toBe(403);
    server.clock.advance(CARRIER_LINK_TTL_MS + 1000);
    expect((await fetch(url)).status).toBe(410);
  });

  it('Retry Failed and Add Recipients send the same images, with fresh links', async () => {
    const retried = await clinic.member.api.blasts.retryFailed.mutate({ blastId });
    expect(retried.retried).toBe(1);
    await clinic.member.api.blasts.addRecipients.mutate({ blastId, patientIds: [ids.late!] });
    await waitFor(async () => {
      await server.simulator!.settle();
      return sentTo(phones.fails).length === 2 && sentTo(phones.late).length === 1 ? true : null;
    }, 2400);
    for (const m of [sentTo(phones.fails)[1]!, sentTo(phones.late)[0]!]) {
      expect(m.mediaUrls).toHaveLength(2);
      expect(await bytesOf(m.mediaUrls[1]!)).toMatchObject({ status: 200, bytes: GIF });
    }
    expect(sentTo(phones.ann)).toHaveLength(1);
  });

  it('Send Test to Me sends the images too', async () => {
    await clinic.member.api.account.setPhone.mutate({ phone: '+14155550499' });
    const result = await clinic.member.api.blasts.sendTest.mutate({ teamId: clinic.team.id, cohortIds: [cohortId], marketing: false, body: 'Hi {{first_name}}', imageIds: images.map((i) => i.id) });
    expect(result.carrierSid.startsWith('MM')).toBe(true);
    const [test] = sentTo('+14155550499');
    expect(test!.mediaUrls).toHaveLength(2);
    expect(await bytesOf(test!.mediaUrls[0]!)).toMatchObject({ status: 200, bytes: SAMPLE_FILES.jpeg });
  });

  it('Duplicate gets the images back with fresh links for the thumbnails', async () => {
    const blast = await clinic.owner.api.blasts.get.query({ blastId });
    const shown = await clinic.owner.api.blasts.images.query({ imageIds: blast.imageIds });
    expect(shown.map((i) => [i.fileName, i.contentType])).toEqual([
      ['flu.jpg', 'image/jpeg'],
      ['map.gif', 'image/gif'],
    ]);
    expect(await bytesOf(shown[1]!.url)).toMatchObject({ status: 200, bytes: GIF });
  });
});

describe('cost', () => {
  it('MMS is priced per message whatever the length, at roughly 3x a one-segment SMS', () => {
    const mms = estimateSmsCost({ channel: 'mms', segments: 3, recipients: 100 });
    expect(mms).toMatchObject({ billableUnits: 100, display: '$2.00' });
    const sms = estimateSmsCost({ channel: 'sms', segments: 1, recipients: 100 });
    expect(mms.cents / sms.cents).toBeGreaterThan(2.4);
    expect(mms.cents / sms.cents).toBeLessThan(3.5);
    expect(sms.unitPriceUsd).toBe(SMS_SEGMENT_PRICE_USD);
  });
});
