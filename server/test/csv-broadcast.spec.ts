import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEND_CLAIM_STALE_MS } from '../src/blasts/csv-broadcast.service.js';
import { errorOf, smsClinic, startTestServer, type TestServer, waitFor } from './harness.js';

/**
 * CSV broadcast from a number's inbox: the file's rows become patients through the import, the
 * preview counts them with the blast's skip rules, the send is a blast from the number, and the
 * same file (again, or twice at once) never sends twice; a changed file sends only to its new patients.
 */

let server: TestServer;
let clinic: Awaited<ReturnType<typeof smsClinic>>;
const phones = { ann: '+14155550401', bob: '+14155550402', dee: '+14155550404', eve: '+14155550405', fay: '+14155550406', gus: '+14155550407' };

const FIVE = ['phone,first_name,last_name', '(415) 555-0401,Ann,Avery', '415-555-0402,Bob,Baker', '12,Cy,Cole', '4155550404,Dee,Dunn', '4155550405,Eve,Ellis'].join('\n');
const SEVEN = `${FIVE}\n4155550406,Fay,Ford\n4155550407,Gus,Gray\n`;

beforeAll(async () => {
  server = await startTestServer();
  clinic = await smsClinic(server, '+14155550400', 'Broadcast Clinic');
  await clinic.owner.api.numbers.update.mutate({ numberId: clinic.number.id, messagesPerSecond: 50 });
  // Dee is in the directory already and opted out: the file's row matches her, and she is skipped.
  await server.db.prisma.patient.create({ data: { orgId: clinic.org.id, firstName: 'Dee', lastName: 'Dunn', phone: phones.dee, phoneLineType: 'mobile', optedOutAt: new Date() } });
});
afterAll(async () => {
  await server?.stop();
});

const sentTo = (phone: string) => server.simulator!.messages().filter((m) => m.to === phone && m.direction === 'outbound-api');
const content = (csv: string) => Buffer.from(csv).toString('base64');
type Api = typeof clinic.member.api;
const upload = (api: Api, csv: string, fileName = 'list.csv') => api.csvBroadcasts.upload.mutate({ teamId: clinic.team.id, fileName, content: content(csv) });
const settled = (api: Api, broadcastId: string) =>
  waitFor(async () => {
    const b = await api.csvBroadcasts.get.query({ teamId: clinic.team.id, broadcastId });
    return b.status === 'ingesting' ? null : b;
  }, 2000);
async function allReceived(expected: Record<string, number>) {
  await waitFor(async () => {
    await server.simulator!.settle();
    return Object.entries(expected).every(([phone, n]) => sentTo(phone).length >= n) ? true : null;
  });
  await server.simulator!.settle();
}

describe('CSV broadcast', () => {
  let first: string;

  it('imports the rows as patients and previews will send / skipped, with the bad row by its line', async () => {
    const up = await upload(clinic.member.api, FIVE);
    expect(up.duplicate).toBe(false);
    first = up.broadcastId;
    const b = await settled(clinic.member.api, first);
    expect(b.status).toBe('ready');
    expect(b.preview).toMatchObject({ total: 4, willSend: 3, optedOut: 1, noContactInfo: 0, notFound: 0 });
    expect(b.rowErrors.issues.map((i) => [i.line, i.field])).toEqual([[4, 'phone']]);
    expect(b.follows).toBeNull();
    // The rows are directory patients now, as an import leaves them (Dee matched, not doubled).
    expect(await server.db.prisma.patient.count({ where: { orgId: clinic.org.id, lastName: { in: ['Avery', 'Baker', 'Dunn', 'Ellis'] } } })).toBe(4);
  });

  it('sends a blast from the number: each patient gets it once, a double click sends nothing more', async () => {
    const [a, b] = await Promise.all([
      clinic.member.api.csvBroadcasts.send.mutate({ teamId: clinic.team.id, broadcastId: first, body: 'Hi {{first_name}}, flu shots are in.' }),
      clinic.owner.api.csvBroadcasts.send.mutate({ teamId: clinic.team.id, broadcastId: first, body: 'Hi {{first_name}}, flu shots are in.' }),
    ]);
    expect([a.duplicate, b.duplicate].sort()).toEqual([false, true]);
    await allReceived({ [phones.ann]: 1, [phones.bob]: 1, [phones.eve]: 1 });
    expect(sentTo(phones.ann).map((m) => m.body)).toEqual(['Hi Ann, flu shots are in.']);
    expect(sentTo(phones.bob)).toHaveLength(1);
    expect(sentTo(phones.eve)).toHaveLength(1);
    expect(sentTo(phones.dee)).toHaveLength(0);
    const blast = await clinic.member.api.blasts.get.query({ blastId: a.blastId ?? b.blastId! });
    expect(blast.phoneNumberId).toBe(clinic.number.id);
  });

  it('the same file again, twice at once, is the same broadcast: nothing resent, and it says who got it', async () => {
    const ups = await Promise.all([upload(clinic.member.api, FIVE, 'again.csv'), upload(clinic.owner.api, FIVE, 'again-too.csv')]);
    expect(ups).toEqual([{ duplicate: true, broadcastId: first }, { duplicate: true, broadcastId: first }]);
    const b = await clinic.member.api.csvBroadcasts.get.query({ teamId: clinic.team.id, broadcastId: first });
    expect(b.status).toBe('sent');
    expect(b.sentAt).not.toBeNull();
    expect(b.gotIt).toEqual({ count: 3, names: ['Ann Avery', 'Bob Baker', 'Eve Ellis'] });
    expect(await clinic.member.api.csvBroadcasts.send.mutate({ teamId: clinic.team.id, broadcastId: first, body: 'Again!' })).toMatchObject({ duplicate: true });
    await server.simulator!.settle();
    for (const phone of [phones.ann, phones.bob, phones.eve]) expect(sentTo(phone)).toHaveLength(1);
    expect(await server.db.prisma.csvBroadcast.count({ where: { orgId: clinic.org.id } })).toBe(1);
  });

  it('a changed file uploaded twice mid-ingest is one broadcast that sends only to its 2 new patients', async () => {
    // Both uploads race: the unique (number, file hash) key makes one broadcast of them.
    const ups = await Promise.all([upload(clinic.member.api, SEVEN), upload(clinic.owner.api, SEVEN)]);
    expect(ups[0].broadcastId).toBe(ups[1].broadcastId);
    expect(ups.map((u) => u.duplicate).sort()).toEqual([false, true]);
    const b = await settled(clinic.member.api, ups[0].broadcastId);
    expect(b.follows).toMatchObject({ fileName: 'list.csv', newPatients: 2, body: 'Hi {{first_name}}, flu shots are in.', already: { count: 3, names: ['Ann Avery', 'Bob Baker', 'Eve Ellis'] } });
    expect(b.preview).toMatchObject({ total: 2, willSend: 2 });
    const sends = await Promise.all([0, 1].map(() => clinic.member.api.csvBroadcasts.send.mutate({ teamId: clinic.team.id, broadcastId: b.id, body: 'ignored: the earlier message goes' })));
    expect(sends.map((s) => s.duplicate).sort()).toEqual([false, true]);
    await allReceived({ [phones.fay]: 1, [phones.gus]: 1 });
    expect(sentTo(phones.fay).map((m) => m.body)).toEqual(['Hi Fay, flu shots are in.']);
    for (const phone of [phones.ann, phones.bob, phones.eve, phones.gus]) expect(sentTo(phone)).toHaveLength(1);
    expect(sentTo(phones.dee)).toHaveLength(0);
  });

  it('a file the import refuses is a failed broadcast with the reason, never sent', async () => {
    const up = await upload(clinic.member.api, 'first_name,last_name\nAnn,Avery\n', 'nophone.csv');
    const b = await settled(clinic.member.api, up.broadcastId);
    expect(b.status).toBe('failed');
    expect(b.error).toMatch(/phone/i);
    expect((await errorOf(clinic.member.api.csvBroadcasts.send.mutate({ teamId: clinic.team.id, broadcastId: b.id, body: 'Hi' }))).code).toBe('BAD_REQUEST');
    // A failed broadcast sent nothing: the same file is a new attempt, not "already sent".
    const again = await upload(clinic.member.api, 'first_name,last_name\nAnn,Avery\n', 'nophone.csv');
    expect(again.duplicate).toBe(false);
    expect(await server.db.prisma.csvBroadcast.count({ where: { id: b.id } })).toBe(0);
  });

  it('a send that died midway is taken over once stale, never sending twice', async () => {
    const api = clinic.member.api.csvBroadcasts;
    // Died before its blast: nothing was sent, so the takeover sends.
    const ian = (await upload(clinic.member.api, 'phone,first_name,last_name\n4155550411,Ian,Ives\n', 'ian.csv')).broadcastId;
    await settled(clinic.member.api, ian);
    // Died after its blast committed: the takeover finds that blast by its key and sends nothing more.
    const jo = (await upload(clinic.member.api, 'phone,first_name,last_name\n4155550412,Jo,Jones\n', 'jo.csv')).broadcastId;
    const joPatients = (await settled(clinic.member.api, jo)).patients;
    expect(joPatients).toBe(1);
    const joId = (await server.db.prisma.csvBroadcast.findUniqueOrThrow({ where: { id: jo } })).patientIds;
    const joBlast = await clinic.member.api.blasts.send.mutate({ teamId: clinic.team.id, patientIds: joId, body: 'Hi {{first_name}}!', marketing: false, idempotencyKey: `csv-broadcast:${jo}` });
    await server.db.prisma.csvBroadcast.updateMany({ where: { id: { in: [ian, jo] } }, data: { status: 'sending', claimedAt: server.clock.now() } });
    // Not stale yet: a second send is told it is on its way, and sends nothing.
    expect(await api.send.mutate({ teamId: clinic.team.id, broadcastId: ian, body: 'Hi {{first_name}}!' })).toEqual({ duplicate: true, blastId: null });
    server.clock.advance(SEND_CLAIM_STALE_MS + 1000);
    expect((await api.send.mutate({ teamId: clinic.team.id, broadcastId: ian, body: 'Hi {{first_name}}!' })).duplicate).toBe(false);
    expect(await clinic.owner.api.csvBroadcasts.send.mutate({ teamId: clinic.team.id, broadcastId: jo, body: 'Hi {{first_name}}!' })).toEqual({ duplicate: false, blastId: joBlast.blast.id });
    await allReceived({ '+14155550411': 1, '+14155550412': 1 });
    expect(sentTo('+14155550411')).toHaveLength(1);
    expect(sentTo('+14155550412')).toHaveLength(1);
  });
});
