import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SendWorker } from '../src/messages/send-worker.js';
import { BlastsService, CANCELED_WITH_BLAST, SEND_PAGE } from '../src/blasts/blasts.service.js';
import { errorOf, messageReaches, smsClinic, startTestServer, type TestServer, waitFor } from './harness.js';

/**
 * Scheduled and spread blasts on the injectable clock (the test server's TestClock, starting
 * 2026-04-22 16:00 UTC = 11:00 in Chicago, the org's zone; quiet hours 20:00-08:00): the
 * messages wait for their sendAfter, quiet hours defer them, and a cancel stops what has not
 * gone yet.
 */

let server: TestServer;
let clinic: Awaited<ReturnType<typeof smsClinic>>;
let worker: SendWorker;
let phoneCounter = 6100;
const nextPhone = () => `+1415555${String(phoneCounter++)}`;

beforeAll(async () => {
  server = await startTestServer();
  worker = server.app.get(SendWorker);
  clinic = await smsClinic(server, '+14155556000', 'Schedule Clinic');
  await clinic.owner.api.numbers.update.mutate({ numberId: clinic.number.id, messagesPerSecond: 50 });
});
afterAll(async () => {
  await server?.stop();
});

/** A cohort of `n` new patients (tag `tag`), named P0..Pn-1 so their order is known. */
async function cohortOf(tag: string, n: number, extra: { timeZone?: string } = {}) {
  const phones: string[] = [];
  for (let i = 0; i < n; i++) {
    const phone = nextPhone();
    phones.push(phone);
    await server.db.prisma.patient.create({ data: { orgId: clinic.org.id, firstName: `P${i}`, lastName: tag, phone, phoneLineType: 'mobile', tags: [tag], ...extra } });
  }
  const cohortId = (await clinic.owner.api.cohorts.create.mutate({ name: tag, filter: { tags: [tag] } })).id;
  return { cohortId, phones };
}

const send = (cohortId: string, key: string, extra: { scheduledAt?: string; perDay?: number } = {}) =>
  clinic.member.api.blasts.send.mutate({ teamId: clinic.team.id, cohortIds: [cohortId], body: 'Hello {{first_name}}', marketing: false, idempotencyKey: key, ...extra });

async function messagesOf(blastId: string) {
  const recipients = await server.db.prisma.blastRecipient.findMany({ where: { blastId } });
  const messages = await server.db.prisma.message.findMany({ where: { id: { in: recipients.map((r) => r.messageId!) } } });
  return messages.sort((a, b) => a.body.localeCompare(b.body));
}
const sentTo = (phones: string[]) => server.simulator!.messages().filter((m) => m.direction === 'outbound-api' && phones.includes(m.to));
/** Moves the clock on, in steps the staff's sessions survive (signed out after 12 idle hours). */
async function travel(ms: number) {
  for (let left = ms; left > 0; left -= 6 * 3600_000) {
    server.clock.advance(Math.min(left, 6 * 3600_000));
    for (const who of [clinic.owner, clinic.member]) await who.api.auth.me.query();
  }
}
/** Moves the clock to `iso` (never back). */
const clockTo = (iso: string) => travel(new Date(iso).getTime() - server.clock.now().getTime());

describe('scheduled blasts', () => {
  it("waits for the scheduled local time in the org's zone, then sends and completes", async () => {
    const { cohortId, phones } = await cohortOf('sched', 2);
    // 09:30 on April 23rd in Chicago (CDT, UTC-5) is 14:30 UTC.
    const { blast } = await send(cohortId, 'sched-key-0001', { scheduledAt: '2026-04-23T09:30' });
    expect(blast).toMatchObject({ status: 'scheduled', scheduledAt: new Date('2026-04-23T14:30:00.000Z'), sentAt: null });
    const messages = await messagesOf(blast.id);
    expect(messages.map((m) => [m.status, m.sendAfter?.toISOString()])).toEqual([
      ['queued', '2026-04-23T14:30:00.000Z'],
      ['queued', '2026-04-23T14:30:00.000Z'],
    ]);
    await worker.drain();
    expect(sentTo(phones)).toEqual([]);
    expect((await clinic.member.api.blasts.get.query({ blastId: blast.id })).status).toBe('scheduled');

    await clockTo('2026-04-23T14:30:00.000Z');
    await worker.drain();
    for (const m of messages) await messageReaches(server, m.id, ['delivered'], 1200);
    expect(sentTo(phones).map((m) => m.body).sort()).toEqual(['Hello P0', 'Hello P1']);
    const done = await waitFor(async () => {
      const b = await clinic.member.api.blasts.get.query({ blastId: blast.id });
      return b.status === 'completed' ? b : null;
    });
    expect(done).toMatchObject({ sentAt: new Date('2026-04-23T14:30:00.000Z'), stats: { total: 2, sent: 2, canceled: 0, failed: 0 } });
  });

  it('spreads a blast as N per day from the scheduled time, the same local time each day', async () => {
    const { cohortId } = await cohortOf('spread', 5);
    const { blast } = await send(cohortId, 'sched-key-0002', { scheduledAt: '2026-04-24T10:00', perDay: 2 });
    expect(blast).toMatchObject({ status: 'scheduled', perDay: 2 });
    const messages = await messagesOf(blast.id);
    expect(messages.map((m) => [m.body, m.sendAfter?.toISOString()])).toEqual([
      ['Hello P0', '2026-04-24T15:00:00.000Z'],
      ['Hello P1', '2026-04-24T15:00:00.000Z'],
      ['Hello P2', '2026-04-25T15:00:00.000Z'],
      ['Hello P3', '2026-04-25T15:00:00.000Z'],
      ['Hello P4', '2026-04-26T15:00:00.000Z'],
    ]);
  });

  it('a send written in pages (3 rows each here) keeps the name order and the days across pages, and queues each recipient once', async () => {
    const { cohortId } = await cohortOf('paged', 5);
    BlastsService.pageSize = 3;
    try {
      const { blast } = await send(cohortId, 'sched-key-paged', { scheduledAt: '2026-04-24T10:00', perDay: 2 });
      const messages = await messagesOf(blast.id);
      expect(messages.map((m) => [m.body, m.sendAfter?.toISOString()])).toEqual([
        ['Hello P0', '2026-04-24T15:00:00.000Z'],
        ['Hello P1', '2026-04-24T15:00:00.000Z'],
        ['Hello P2', '2026-04-25T15:00:00.000Z'],
        ['Hello P3', '2026-04-25T15:00:00.000Z'],
        ['Hello P4', '2026-04-26T15:00:00.000Z'],
      ]);
      expect(new Set(messages.map((m) => m.conversationId)).size).toBe(5);
      expect(await server.db.prisma.blastRecipient.count({ where: { blastId: blast.id, status: 'pending' } })).toBe(5);
    } finally {
      BlastsService.pageSize = SEND_PAGE;
    }
  });

  it('a spread blast sent now starts now: the first day has no wait', async () => {
    const { cohortId } = await cohortOf('spreadnow', 3);
    const { blast } = await send(cohortId, 'sched-key-0003', { perDay: 2 });
    expect(blast.status).toBe('sending');
    const [p0, p1, p2] = await messagesOf(blast.id);
    expect([p0!.sendAfter, p1!.sendAfter]).toEqual([null, null]);
    // Tomorrow at the same local time (no DST change in between: 24 hours, give or take the clock's millisecond ticks).
    expect(Math.abs(p2!.sendAfter!.getTime() - p0!.createdAt.getTime() - 86_400_000)).toBeLessThan(1000);
  });

  it("quiet hours defer a scheduled message to the patient's next allowed time, in the patient's own zone", async () => {
    const { cohortId } = await cohortOf('latenight', 1);
    const tokyo = await cohortOf('latenight-tokyo', 1, { timeZone: 'Asia/Tokyo' });
    // 21:00 in Chicago on April 26th (02:00 UTC on the 27th) is quiet: 08:00 Chicago is 13:00 UTC.
    // In Tokyo it is 11:00 on the 27th: not quiet, sent at the scheduled time.
    const { blast } = await clinic.member.api.blasts.send.mutate({
      teamId: clinic.team.id, cohortIds: [cohortId, tokyo.cohortId], body: 'Hello {{first_name}} {{last_name}}', marketing: false, idempotencyKey: 'sched-key-0004', scheduledAt: '2026-04-26T21:00',
    });
    const messages = await messagesOf(blast.id);
    expect(messages.map((m) => [m.body, m.sendAfter?.toISOString()])).toEqual([
      ['Hello P0 latenight', '2026-04-27T13:00:00.000Z'],
      ['Hello P0 latenight-tokyo', '2026-04-27T02:00:00.000Z'],
    ]);
  });

  it('refuses a time that has passed, an impossible date and a malformed time; nothing is written', async () => {
    const { cohortId } = await cohortOf('refused', 1);
    const before = await server.db.prisma.blast.count();
    for (const scheduledAt of ['2026-04-22T10:00', '2026-02-30T10:00', '2026-04-23 10:00', '2027-12-01T10:00']) {
      expect(await errorOf(send(cohortId, `sched-bad-${scheduledAt.slice(0, 10)}`, { scheduledAt }))).toMatchObject({ code: 'BAD_REQUEST' });
    }
    expect((await errorOf(send(cohortId, 'sched-bad-past', { scheduledAt: '2026-04-22T10:00' }))).message).toContain('has passed');
    expect((await errorOf(send(cohortId, 'sched-bad-zero', { perDay: 0 }))).code).toBe('BAD_REQUEST');
    expect(await server.db.prisma.blast.count()).toBe(before);
  });
});

describe('canceling a blast', () => {
  it('before it starts: no message goes, the recipients show as canceled, and a second cancel is refused', async () => {
    const { cohortId, phones } = await cohortOf('cancel', 3);
    const { blast } = await send(cohortId, 'cancel-key-0001', { scheduledAt: '2026-04-28T09:00' });
    const result = await clinic.member.api.blasts.cancel.mutate({ blastId: blast.id });
    expect(result).toMatchObject({ canceled: 3, inFlight: 0, blast: { status: 'canceled' } });
    expect((await messagesOf(blast.id)).map((m) => [m.status, m.errorMessage])).toEqual(Array(3).fill(['canceled', CANCELED_WITH_BLAST]));

    await clockTo('2026-04-28T15:00:00.000Z');
    await worker.drain();
    expect(sentTo(phones)).toEqual([]);
    const after = await clinic.member.api.blasts.get.query({ blastId: blast.id });
    expect(after).toMatchObject({ status: 'canceled', stats: { total: 3, sent: 0, failed: 0, queued: 0, canceled: 3 } });
    expect((await clinic.member.api.blasts.recipients.query({ blastId: blast.id, status: 'canceled' })).recipients).toHaveLength(3);

    expect(await errorOf(clinic.member.api.blasts.cancel.mutate({ blastId: blast.id }))).toMatchObject({ code: 'CONFLICT', message: 'This blast was already canceled.' });
    const audit = await server.db.prisma.auditEvent.findMany({ where: { action: 'blast.canceled', targetId: blast.id } });
    expect(audit).toHaveLength(1);
    expect(audit[0]!.summary).toContain('before it started: 3 message(s) not sent');
  });

  it('a spread blast under way: the sent days stay sent, the rest is canceled', async () => {
    const { cohortId, phones } = await cohortOf('remainder', 4);
    const { blast } = await send(cohortId, 'cancel-key-0002', { perDay: 2 });
    const [p0, p1] = await messagesOf(blast.id);
    for (const m of [p0!, p1!]) await messageReaches(server, m.id, ['delivered'], 1200);
    const result = await clinic.member.api.blasts.cancel.mutate({ blastId: blast.id });
    expect(result).toMatchObject({ canceled: 2, inFlight: 0 });
    await travel(3 * 86_400_000);
    await worker.drain();
    expect(sentTo(phones).map((m) => m.body).sort()).toEqual(['Hello P0', 'Hello P1']);
    expect((await clinic.member.api.blasts.get.query({ blastId: blast.id })).stats).toMatchObject({ total: 4, sent: 2, canceled: 2, failed: 0, queued: 0 });
  });

  it('Retry Failed and Add Recipients are refused before it starts and once canceled (nothing queued, the blast stays as it was)', async () => {
    const { cohortId } = await cohortOf('no-restart', 1);
    const extra = await server.db.prisma.patient.create({ data: { orgId: clinic.org.id, firstName: 'Extra', phone: nextPhone(), phoneLineType: 'mobile' } });
    const { blast } = await send(cohortId, 'cancel-key-0004', { scheduledAt: '2026-05-20T09:00' });
    const count = () => server.db.prisma.blastRecipient.count({ where: { blastId: blast.id } });
    for (const status of ['scheduled', 'canceled']) {
      if (status === 'canceled') await clinic.member.api.blasts.cancel.mutate({ blastId: blast.id });
      expect(await errorOf(clinic.member.api.blasts.addRecipients.mutate({ blastId: blast.id, patientIds: [extra.id] }))).toMatchObject({ code: 'CONFLICT' });
      expect(await errorOf(clinic.member.api.blasts.retryFailed.mutate({ blastId: blast.id }))).toMatchObject({ code: 'CONFLICT' });
      expect(await count()).toBe(1);
      expect((await clinic.member.api.blasts.get.query({ blastId: blast.id })).status).toBe(status);
    }
  });

  it('is refused once the blast has completed', async () => {
    const { cohortId } = await cohortOf('finished', 1);
    const { blast } = await send(cohortId, 'cancel-key-0003');
    const [m] = await messagesOf(blast.id);
    await messageReaches(server, m!.id, ['delivered'], 1200);
    const refused = await errorOf(clinic.member.api.blasts.cancel.mutate({ blastId: blast.id }));
    expect(refused).toEqual({ code: 'CONFLICT', message: 'This blast has already been sent to everyone; there is nothing left to cancel.' });
    expect((await clinic.member.api.blasts.get.query({ blastId: blast.id })).status).toBe('completed');
  });
});
