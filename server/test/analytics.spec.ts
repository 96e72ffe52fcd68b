import { localParts } from '@caretext/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, joinAs, smsClinic, startTestServer, type TestServer, waitFor } from './harness.js';

/**
 * Analytics → Blasts: per local day (the org is in America/Chicago, UTC-6 in January) the
 * texts the carrier took, blast vs one-to-one, segments, MMS, spend and blast replies, from a
 * small hand-made dataset with known answers; filters by team and number; and one real blast
 * sent through the API, counted once the carrier has answered.
 */

let server: TestServer;
let clinic: Awaited<ReturnType<typeof smsClinic>>;
let billing: { team: { id: string }; number: { id: string } };

const RANGE = { firstDay: '2026-01-14', lastDay: '2026-01-16' };

beforeAll(async () => {
  server = await startTestServer();
  clinic = await smsClinic(server, '+14155550500', 'Analytics Clinic');
  const team = await clinic.owner.api.teams.create.mutate({ name: 'Billing' });
  const [available] = await clinic.owner.api.numbers.search.query({ areaCode: '415' });
  const number = await clinic.owner.api.numbers.buy.mutate({ phoneNumber: available!.phoneNumber, teamId: team.id });
  billing = { team, number };
  const p = server.db.prisma;
  const orgId = clinic.org.id;
  const patient = (phone: string) => p.patient.create({ data: { orgId, firstName: 'Pat', lastName: phone.slice(-4), phone, phoneLineType: 'mobile' } });
  const conversation = async (teamId: string, phoneNumberId: string, phone: string) =>
    (await p.conversation.create({ data: { orgId, teamId, kind: 'sms', phoneNumberId, patientId: (await patient(phone)).id } })).id;
  const front1 = await conversation(clinic.team.id, clinic.number.id, '+14155550511');
  const front2 = await conversation(clinic.team.id, clinic.number.id, '+14155550512');
  const bill1 = await conversation(billing.team.id, billing.number.id, '+14155550513');
  let n = 0;
  const message = (conversationId: string, m: { direction?: string; channel?: string; status?: string; key?: string; segments?: number; sentAt?: string; createdAt: string; sendAfter?: string }) =>
    p.message.create({
      data: {
        orgId, conversationId, direction: m.direction ?? 'outbound', channel: m.channel ?? 'sms', body: `text ${++n}`, status: m.status ?? 'delivered',
        idempotencyKey: m.key ?? null, segments: m.segments ?? 1, sentAt: m.sentAt ? new Date(m.sentAt) : null, createdAt: new Date(m.createdAt),
        sendAfter: m.sendAfter ? new Date(m.sendAfter) : null,
      },
    });
  // Jan 15, 00:00 in Chicago is 06:00Z: one minute before is still Jan 14.
  await message(front1, { key: 'blast:b1', segments: 2, createdAt: '2026-01-15T05:00:00Z', sentAt: '2026-01-15T06:00:00Z' });
  await message(front1, { direction: 'inbound', status: 'received', createdAt: '2026-01-15T07:00:00Z' });
  // Before this conversation's blast message (though after another's): not a reply to it.
  await message(front2, { direction: 'inbound', status: 'received', createdAt: '2026-01-15T05:10:00Z' });
  await message(front2, { key: 'blast:b1', status: 'sent', createdAt: '2026-01-15T05:30:00Z', sentAt: '2026-01-15T05:59:00Z' });
  await message(front1, { key: 'client-key-1', createdAt: '2026-01-15T15:00:00Z', sentAt: '2026-01-15T15:00:01Z' });
  await message(front1, { channel: 'mms', segments: 0, status: 'undelivered', createdAt: '2026-01-16T15:00:00Z', sentAt: '2026-01-16T15:00:01Z' });
  await message(bill1, { key: 'blast:b2', segments: 3, createdAt: '2026-01-15T16:00:00Z', sentAt: '2026-01-15T16:00:01Z' });
  // Not counted: failed and queued ones never reached the carrier; secure messages are not texts; after the period.
  await message(front2, { key: 'blast:b1', status: 'failed', createdAt: '2026-01-15T12:00:00Z', sentAt: '2026-01-15T12:00:01Z' });
  // (Deferred far ahead, so the send worker leaves it alone.)
  await message(front2, { key: 'blast:b3', status: 'queued', createdAt: '2026-01-15T12:00:00Z', sendAfter: '2030-01-01T00:00:00Z' });
  await message(front2, { channel: 'secure', createdAt: '2026-01-15T12:00:00Z', sentAt: '2026-01-15T12:00:01Z' });
  await message(front2, { createdAt: '2026-01-17T06:00:00Z', sentAt: '2026-01-17T06:00:00Z' });
  await message(front2, { createdAt: '2026-01-14T05:00:00Z', sentAt: '2026-01-14T05:59:59Z' }); // Jan 13 in Chicago
});
afterAll(async () => {
  await server?.stop();
});

const day = (date: string, d: Partial<{ blast: number; oneToOne: number; segments: number; mms: number; spendCents: number; blastReplied: number }> = {}) => ({
  date, blast: 0, oneToOne: 0, segments: 0, mms: 0, spendCents: 0, blastReplied: 0, ...d,
});

describe('analytics.blasts', () => {
  it("counts each text on the org's local day it reached the carrier, by source, with segments, spend and blast replies", async () => {
    const result = await clinic.owner.api.analytics.blasts.query(RANGE);
    expect(result.timeZone).toBe('America/Chicago');
    expect(result.days).toEqual([
      day('2026-01-14', { blast: 1, segments: 1, spendCents: 0.79 }),
      day('2026-01-15', { blast: 2, oneToOne: 1, segments: 6, spendCents: 4.74, blastReplied: 1 }),
      day('2026-01-16', { oneToOne: 1, mms: 1, spendCents: 2 }),
    ]);
    expect(result.totals).toEqual({ blast: 3, oneToOne: 2, messages: 5, segments: 7, mms: 1, blastReplied: 1, spendCents: 7.53, replyRate: 1 / 3 });
  });

  it('filters by team and by number', async () => {
    const front = await clinic.owner.api.analytics.blasts.query({ ...RANGE, teamId: clinic.team.id });
    expect(front.totals).toMatchObject({ blast: 2, oneToOne: 2, segments: 4, mms: 1, blastReplied: 1, replyRate: 0.5 });
    const bill = await clinic.owner.api.analytics.blasts.query({ ...RANGE, phoneNumberId: billing.number.id });
    expect(bill.days.map((d) => d.blast)).toEqual([0, 1, 0]);
    expect(bill.totals).toMatchObject({ blast: 1, oneToOne: 0, segments: 3, blastReplied: 0, replyRate: 0 });
    const none = await clinic.owner.api.analytics.blasts.query({ ...RANGE, teamId: clinic.team.id, phoneNumberId: billing.number.id });
    expect(none.totals).toMatchObject({ messages: 0, replyRate: null });
  });

  it('a member sees the teams they are on, and may filter only by those', async () => {
    const mine = await clinic.member.api.analytics.blasts.query(RANGE);
    expect(mine.totals).toMatchObject({ blast: 2, oneToOne: 2 });
    expect((await clinic.member.api.analytics.filters.query()).teams.map((t) => t.id)).toEqual([clinic.team.id]);
    expect((await clinic.owner.api.analytics.filters.query()).teams.map((t) => t.id).sort()).toEqual([clinic.team.id, billing.team.id].sort());
    expect((await errorOf(clinic.member.api.analytics.blasts.query({ ...RANGE, teamId: billing.team.id }))).code).toBe('FORBIDDEN');
    expect((await errorOf(clinic.member.api.analytics.blasts.query({ ...RANGE, phoneNumberId: billing.number.id }))).code).toBe('FORBIDDEN');
    const loner = await joinAs(server, clinic.owner, 'member', 'No Team');
    expect((await loner.api.analytics.blasts.query(RANGE)).totals.messages).toBe(0);
  });

  it('refuses an impossible or too long period', async () => {
    expect((await errorOf(clinic.owner.api.analytics.blasts.query({ firstDay: '2026-01-16', lastDay: '2026-01-14' }))).code).toBe('BAD_REQUEST');
    expect((await errorOf(clinic.owner.api.analytics.blasts.query({ firstDay: '2025-01-01', lastDay: '2026-01-02' }))).code).toBe('BAD_REQUEST');
    expect((await errorOf(clinic.owner.api.analytics.blasts.query({ firstDay: '2026-02-30', lastDay: '2026-03-01' }))).code).toBe('BAD_REQUEST');
    expect((await clinic.owner.api.analytics.blasts.query({ firstDay: '2024-01-01', lastDay: '2024-12-31' })).days).toHaveLength(366);
  });

  it('counts a blast sent through the API once the carrier took it, and its reply', async () => {
    await clinic.owner.api.numbers.update.mutate({ numberId: clinic.number.id, messagesPerSecond: 50 });
    await server.db.prisma.patient.createMany({
      data: ['+14155550521', '+14155550522'].map((phone) => ({ orgId: clinic.org.id, firstName: 'Real', lastName: phone.slice(-4), phone, phoneLineType: 'mobile', tags: ['analytics-real'] })),
    });
    const cohortId = (await clinic.owner.api.cohorts.create.mutate({ name: 'Analytics real', filter: { tags: ['analytics-real'] } })).id;
    const { blast } = await clinic.member.api.blasts.send.mutate({ teamId: clinic.team.id, cohortIds: [cohortId], body: 'Hi {{first_name}}, flu shots are in.', marketing: false, idempotencyKey: 'analytics-real-1' });
    const messages = await waitFor(async () => {
      await server.simulator!.settle();
      const rows = await server.db.prisma.message.findMany({ where: { idempotencyKey: `blast:${blast.id}`, sentAt: { not: null } } });
      return rows.length === 2 ? rows : null;
    }, 2400);
    await server.db.prisma.message.create({ data: { orgId: clinic.org.id, conversationId: messages[0]!.conversationId, direction: 'inbound', channel: 'sms', body: 'Thanks', status: 'received', createdAt: new Date(messages[0]!.createdAt.getTime() + 60_000) } });
    const local = localParts(messages[0]!.sentAt!, 'America/Chicago');
    const date = `${local.year}-${String(local.month).padStart(2, '0')}-${String(local.day).padStart(2, '0')}`;
    const result = await clinic.member.api.analytics.blasts.query({ firstDay: date, lastDay: date });
    expect(result.totals).toMatchObject({ blast: 2, blastReplied: 1, replyRate: 0.5 });
  });
});
