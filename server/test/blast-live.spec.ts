import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONVERSATIONS_CHANGED_CHUNK } from '../src/events/event-bus.js';
import { joinAs, SAMPLE_FILES, smsClinic, startTestServer, type TestServer, waitFor } from './harness.js';

/**
 * A blast's enqueue reaches the open inboxes of its team live: one `conversations.changed` per
 * chunk of conversation ids (conversations.bulkEvents), never one event per message, and only
 * to the team's members. The thread shows an MMS blast message's images through links minted
 * for the reader, never the stored reference or the carrier's link.
 */

let server: TestServer;
let clinic: Awaited<ReturnType<typeof smsClinic>>;
let cohortId: string;
const RECIPIENTS = 1_000;

type Bulk = { type: string; teamId?: string; conversationIds?: string[] };
type Handlers = { onStarted?: () => void; onData: (e: unknown) => void };

function watch(subscribe: (handlers: Handlers) => { unsubscribe(): void }) {
  const seen: Bulk[] = [];
  const waiting: { until: (s: Bulk[]) => boolean; resolve: () => void }[] = [];
  let started!: () => void;
  const ready = new Promise<void>((resolve) => (started = resolve));
  const sub = subscribe({
    onStarted: () => started(),
    onData(e) {
      seen.push(e as Bulk);
      for (const w of waiting.filter((w) => w.until(seen))) w.resolve();
    },
  });
  return {
    seen,
    ready,
    ids: () => new Set(seen.flatMap((s) => s.conversationIds ?? [])),
    until: (until: (s: Bulk[]) => boolean) => (until(seen) ? Promise.resolve() : new Promise<void>((resolve) => waiting.push({ until, resolve }))),
    stop: () => sub.unsubscribe(),
  };
}

/** Two days from now as the org's local "YYYY-MM-DDTHH:MM" (a scheduled blast: its messages wait, nothing is sent). */
function inTwoDays(timeZone: string): string {
  return new Date(Date.now() + 2 * 86_400_000).toLocaleString('sv-SE', { timeZone, hour12: false }).slice(0, 16).replace(' ', 'T');
}

beforeAll(async () => {
  server = await startTestServer();
  clinic = await smsClinic(server, '+14155550700', 'Live Blast Clinic');
  await server.db.prisma.patient.createMany({
    data: Array.from({ length: RECIPIENTS }, (_, i) => ({ orgId: clinic.org.id, firstName: `P${i}`, lastName: 'Live', phone: `+1415556${String(i).padStart(4, '0')}`, phoneLineType: 'mobile', tags: ['live'] })),
  });
  cohortId = (await clinic.owner.api.cohorts.create.mutate({ name: 'Live', filter: { tags: ['live'] } })).id;
});
afterAll(async () => {
  await server?.stop();
});

describe('a blast in the live inbox', () => {
  it("reaches the team's members as a bounded number of batched events naming every conversation, and no one else", async () => {
    const other = await smsClinic(server, '+14155550701', 'Live Blast Other');
    // Billing: a second team of the same org with its own number; the admin is on it, not on Front Desk.
    const billing = await clinic.owner.api.teams.create.mutate({ name: 'Billing' });
    const adminId = (await clinic.admin.api.auth.me.query())!.user.id;
    await clinic.owner.api.teams.addMember.mutate({ teamId: billing.id, userId: adminId });
    const [available] = await clinic.owner.api.numbers.search.query({ areaCode: '415' });
    await clinic.owner.api.numbers.buy.mutate({ phoneNumber: available!.phoneNumber, teamId: billing.id });
    const plain = await joinAs(server, clinic.owner, 'member', 'Plain Member'); // on no team

    const member = watch((h) => clinic.member.api.conversations.bulkEvents.subscribe({}, h));
    const memberScoped = watch((h) => clinic.member.api.conversations.bulkEvents.subscribe({ teamId: clinic.team.id }, h));
    const memberMessages = watch((h) => clinic.member.api.conversations.events.subscribe({}, h));
    const admin = watch((h) => clinic.admin.api.conversations.bulkEvents.subscribe({}, h));
    const nobody = watch((h) => plain.api.conversations.bulkEvents.subscribe({}, h));
    const otherOrg = watch((h) => other.member.api.conversations.bulkEvents.subscribe({}, h));
    await Promise.all([member.ready, memberScoped.ready, memberMessages.ready, admin.ready, nobody.ready, otherOrg.ready]);

    const { blast } = await clinic.member.api.blasts.send.mutate({ teamId: clinic.team.id, cohortIds: [cohortId], body: 'Flu shots are in, {{first_name}}', marketing: false, idempotencyKey: 'live-blast-0001', scheduledAt: inTwoDays('America/Chicago') });
    const written = await server.db.prisma.message.findMany({ where: { idempotencyKey: `blast:${blast.id}` }, select: { conversationId: true } });
    const expected = new Set(written.map((m) => m.conversationId));
    expect(expected.size).toBe(RECIPIENTS);
    await member.until(() => member.ids().size === RECIPIENTS);
    await memberScoped.until(() => memberScoped.ids().size === RECIPIENTS);
    expect(member.ids()).toEqual(expected);
    // Bounded: one event per chunk of ids (10 for 1,000), each the team's; no event per message on the other stream.
    expect(member.seen.length).toBe(Math.ceil(RECIPIENTS / CONVERSATIONS_CHANGED_CHUNK));
    expect(member.seen.every((e) => e.type === 'conversations.changed' && e.teamId === clinic.team.id && e.conversationIds!.length <= CONVERSATIONS_CHANGED_CHUNK)).toBe(true);

    // Ordering sentinels: Billing's blast (with Add Recipients) and the other org's blast come after.
    const billingBlast = await clinic.admin.api.blasts.send.mutate({ teamId: billing.id, patientIds: [clinic.patient.id], body: 'Your statement is ready', marketing: false, idempotencyKey: 'live-blast-0002' });
    await admin.until((seen) => seen.length >= 1);
    const added = await server.db.prisma.patient.findFirstOrThrow({ where: { orgId: clinic.org.id, phone: '+14155560007' } });
    await clinic.admin.api.blasts.addRecipients.mutate({ blastId: billingBlast.blast.id, patientIds: [added.id] });
    await admin.until((seen) => seen.length >= 2);
    await other.member.api.blasts.send.mutate({ teamId: other.team.id, patientIds: [other.patient.id], body: 'Other clinic news', marketing: false, idempotencyKey: 'live-blast-0003' });
    await otherOrg.until((seen) => seen.length >= 1);

    // The admin off Front Desk saw only Billing's two enqueues (the send, then Add Recipients' one conversation).
    expect(admin.seen.map((e) => [e.type, e.teamId, e.conversationIds!.length])).toEqual([
      ['conversations.changed', billing.id, 1],
      ['conversations.changed', billing.id, 1],
    ]);
    expect([...admin.ids()].some((id) => expected.has(id))).toBe(false);
    expect(otherOrg.seen.every((e) => e.teamId === other.team.id)).toBe(true);
    expect([...otherOrg.ids()].some((id) => expected.has(id))).toBe(false);
    expect(nobody.seen).toEqual([]);
    // Billing's blast never reached the Front Desk streams.
    expect(member.seen.length).toBe(Math.ceil(RECIPIENTS / CONVERSATIONS_CHANGED_CHUNK));
    expect(memberMessages.seen.filter((e) => e.type === 'message.created')).toEqual([]);
    for (const w of [member, memberScoped, memberMessages, admin, nobody, otherOrg]) w.stop();
  });

  it('canceling a scheduled blast tells the team in the same bounded chunks, never one event per message', async () => {
    const { blast } = await clinic.member.api.blasts.send.mutate({ teamId: clinic.team.id, cohortIds: [cohortId], body: 'Open house Saturday, {{first_name}}', marketing: false, idempotencyKey: 'live-blast-cancel-1', scheduledAt: inTwoDays('America/Chicago') });
    const member = watch((h) => clinic.member.api.conversations.events.subscribe({ bulk: true }, h));
    const other = await smsClinic(server, '+14155550702', 'Live Blast Cancel Other');
    const otherOrg = watch((h) => other.member.api.conversations.events.subscribe({ bulk: true }, h));
    await Promise.all([member.ready, otherOrg.ready]);
    const canceled = await clinic.member.api.blasts.cancel.mutate({ blastId: blast.id });
    expect(canceled.canceled).toBe(RECIPIENTS);
    await member.until(() => member.ids().size === RECIPIENTS);
    const written = await server.db.prisma.message.findMany({ where: { idempotencyKey: `blast:${blast.id}` }, select: { conversationId: true, status: true } });
    expect(member.ids()).toEqual(new Set(written.map((m) => m.conversationId)));
    expect(written.every((m) => m.status === 'canceled')).toBe(true);
    expect(member.seen.filter((e) => e.type === 'conversations.changed')).toHaveLength(Math.ceil(RECIPIENTS / CONVERSATIONS_CHANGED_CHUNK));
    // The other org's own blast: the sentinel that A's events were all delivered by now.
    await other.member.api.blasts.send.mutate({ teamId: other.team.id, patientIds: [other.patient.id], body: 'Other news', marketing: false, idempotencyKey: 'live-blast-cancel-2', scheduledAt: inTwoDays('America/Chicago') });
    await otherOrg.until((seen) => seen.some((e) => e.type === 'conversations.changed'));
    expect(member.seen.filter((e) => e.type === 'message.updated')).toEqual([]);
    expect([...otherOrg.ids()].some((id) => member.ids().has(id))).toBe(false);
    member.stop();
    otherOrg.stop();
  });

  it("shows an MMS blast message's images in the thread through a link for the reader, never the reference or the carrier's link", async () => {
    const up = await fetch(`${server.url}/api/blast-images?name=flyer.png`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${clinic.member.token}` }, body: SAMPLE_FILES.png });
    const image = (await up.json()) as { id: string };
    await clinic.member.api.blasts.send.mutate({ teamId: clinic.team.id, patientIds: [clinic.patient.id], body: 'See the flyer', marketing: false, idempotencyKey: 'live-blast-mms-1', imageIds: [image.id], scheduledAt: inTwoDays('America/Chicago') });
    const thread = await clinic.owner.api.conversations.get.query({ conversationId: clinic.conversationId });
    const sent = thread.messages.find((m) => m.body === 'See the flyer')!;
    expect(sent.channel).toBe('mms');
    expect(sent.mediaUrls).toEqual([]);
    expect(sent.images).toEqual([{ id: image.id, fileName: 'flyer.png', contentType: 'image/png', url: expect.stringMatching(new RegExp(`^${server.url}/api/blast-images/${image.id}\\?exp=\\d+&v=u\\.[^&]+&sig=`)) }]);
    expect(JSON.stringify(thread)).not.toContain('caretext-blast-image:');
    const res = await fetch(sent.images![0]!.url);
    expect([res.status, res.headers.get('content-type')]).toEqual([200, 'image/png']);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from(SAMPLE_FILES.png));

    // A link minted for this reader, not the carrier's (c.mms).
    expect(sent.images![0]!.url).not.toContain('v=c');
  });
});
