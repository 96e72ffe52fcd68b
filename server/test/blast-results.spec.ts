import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, smsClinic, startTestServer, type TestServer, waitFor } from './harness.js';

/**
 * After a blast is sent: Retry Failed sends again only to recipients whose message failed or
 * went undelivered (the simulator fails numbers ending 0003 and 0005), once per call even when
 * two calls race, and not to someone who opted out since; Add Recipients puts hand-picked
 * patients through the same skip rules and leaves those already in the blast alone.
 */

let server: TestServer;
let clinic: Awaited<ReturnType<typeof smsClinic>>;
let blastId: string;
const phones = { ann: '+14155550301', fay: '+14155550003', gil: '+14155550005', hal: '+14155550004', fayNew: '+14155550306', ivy: '+14155550307', kim: '+14155550308' };
const ids: Record<string, string> = {};

beforeAll(async () => {
  server = await startTestServer();
  clinic = await smsClinic(server, '+14155550300', 'Results Clinic');
  await clinic.owner.api.numbers.update.mutate({ numberId: clinic.number.id, messagesPerSecond: 50 });
  const base = { orgId: clinic.org.id, phoneLineType: 'mobile', tags: ['results'] };
  for (const [key, firstName, phone] of [
    ['ann', 'Ann', phones.ann],
    ['fay', 'Fay', phones.fay],
    ['gil', 'Gil', phones.gil],
    ['hal', 'Hal', phones.hal],
  ] as const) {
    ids[key] = (await server.db.prisma.patient.create({ data: { ...base, firstName, lastName: 'Rivera', phone } })).id;
  }
  const cohortId = (await clinic.owner.api.cohorts.create.mutate({ name: 'Results', filter: { tags: ['results'] } })).id;
  blastId = (await clinic.member.api.blasts.send.mutate({ teamId: clinic.team.id, cohortIds: [cohortId], body: 'Hi {{first_name}}, clinic closed Friday.', marketing: false, idempotencyKey: 'results-key-1' })).blast.id;
});
afterAll(async () => {
  await server?.stop();
});

const sentTo = (phone: string) => server.simulator!.messages().filter((m) => m.to === phone && m.direction === 'outbound-api');
/**
 * The blast once every message has left the queue and the carrier's last word on each is applied
 * (the simulator ends each with delivered, failed or undelivered). `completed` alone is not
 * enough: a callback that beats the send's answer is stored and applied only once the worker has
 * stored the carrier's id (applyStored), so a busy machine could read the stats in between
 * (CI once saw sent 2, failed 2).
 */
async function settled() {
  return waitFor(async () => {
    await server.simulator!.settle();
    const b = await clinic.member.api.blasts.get.query({ blastId });
    if (b.status !== 'completed') return null;
    const unsettled = await server.db.prisma.message.count({ where: { idempotencyKey: `blast:${blastId}`, status: { in: ['queued', 'sending', 'sent'] } } });
    return unsettled === 0 ? b : null;
  }, 2400);
}

describe('Retry Failed', () => {
  it('the first send: one delivered, three failed or undelivered', async () => {
    expect((await settled()).stats).toMatchObject({ total: 4, sent: 1, failed: 3, skipped: 0, queued: 0 });
    const failed = await clinic.member.api.blasts.recipients.query({ blastId, status: 'failed' });
    expect(failed.recipients.map((r) => [r.firstName, r.errorCode])).toEqual([
      ['Fay', '30003'],
      ['Gil', '30005'],
      ['Hal', '30004'],
    ]);
  });

  it('two racing calls resend each failed message exactly once; never the delivered one, nor to a patient who opted out since', async () => {
    // Hal texted STOP after the failure; Fay has a new phone that works.
    await server.db.prisma.smsOptOut.create({ data: { orgId: clinic.org.id, phoneNumberId: clinic.number.id, phone: phones.hal, keyword: 'STOP' } });
    await server.db.prisma.patient.update({ where: { id: ids.fay }, data: { phone: phones.fayNew } });

    const [first, second] = await Promise.all([clinic.member.api.blasts.retryFailed.mutate({ blastId }), clinic.owner.api.blasts.retryFailed.mutate({ blastId })]);
    expect(first.retried + second.retried).toBe(2);
    const done = await settled();
    expect(done.stats).toMatchObject({ total: 4, sent: 2, failed: 2 });

    expect(sentTo(phones.ann)).toHaveLength(1);
    expect(sentTo(phones.fay)).toHaveLength(1);
    expect(sentTo(phones.fayNew).map((m) => m.body)).toEqual(['Hi Fay, clinic closed Friday.']);
    expect(sentTo(phones.gil)).toHaveLength(2);
    expect(sentTo(phones.hal)).toHaveLength(1);
    const rows = await server.db.prisma.blastRecipient.findMany({ where: { blastId }, orderBy: { patientId: 'asc' } });
    expect(Object.fromEntries(rows.map((r) => [r.patientId, r.retries]))).toEqual({ [ids.ann!]: 0, [ids.fay!]: 1, [ids.gil!]: 1, [ids.hal!]: 0 });
    const audit = await server.db.prisma.auditEvent.findMany({ where: { orgId: clinic.org.id, action: 'blast.retried', targetId: blastId } });
    expect(audit).toHaveLength(2);
  });

  it('a later retry sends again only what failed again (Gil), with a new message each time', async () => {
    const again = await clinic.member.api.blasts.retryFailed.mutate({ blastId });
    expect(again).toEqual({ retried: 1, notRetried: 1 });
    await settled();
    expect(sentTo(phones.gil)).toHaveLength(3);
    expect(sentTo(phones.fayNew)).toHaveLength(1);
    expect(sentTo(phones.ann)).toHaveLength(1);
    const gil = await server.db.prisma.blastRecipient.findFirstOrThrow({ where: { blastId, patientId: ids.gil } });
    expect(gil.retries).toBe(2);
    // Three messages to Gil in his conversation, the first two failed: the history is kept.
    const messages = await server.db.prisma.message.findMany({ where: { orgId: clinic.org.id, toNumber: phones.gil }, orderBy: { createdAt: 'asc' } });
    expect(messages.map((m) => m.idempotencyKey)).toEqual([`blast:${blastId}`, `blast:${blastId}:retry:1`, `blast:${blastId}:retry:2`]);
  });
});

describe('Add Recipients', () => {
  it('sends to new patients who can receive it, skips the others for the same reasons, and reports who was already in the blast', async () => {
    const base = { orgId: clinic.org.id, phoneLineType: 'mobile' };
    const ivy = (await server.db.prisma.patient.create({ data: { ...base, firstName: 'Ivy', lastName: 'Stone', phone: phones.ivy } })).id;
    const jon = (await server.db.prisma.patient.create({ data: { ...base, firstName: 'Jon', lastName: 'Stone' } })).id;
    const kim = (await server.db.prisma.patient.create({ data: { ...base, firstName: 'Kim', lastName: 'Stone', phone: phones.kim, phoneLineType: 'landline' } })).id;
    const picked = [ivy, jon, kim, ids.ann!, ivy];

    const [first, second] = await Promise.all([
      clinic.member.api.blasts.addRecipients.mutate({ blastId, patientIds: picked }),
      clinic.member.api.blasts.addRecipients.mutate({ blastId, patientIds: picked }),
    ]);
    const [winner, loser] = first.added ? [first, second] : [second, first];
    expect(winner).toEqual({ added: 3, queued: 1, skipped: { no_phone: 1, landline: 1 }, alreadyIncluded: [ids.ann] });
    expect(loser).toEqual({ added: 0, queued: 0, skipped: {}, alreadyIncluded: [ivy, jon, kim, ids.ann] });

    const done = await settled();
    expect(done.stats).toMatchObject({ total: 7, sent: 3, skipped: 2 });
    expect(sentTo(phones.ivy).map((m) => m.body)).toEqual(['Hi Ivy, clinic closed Friday.']);
    expect(sentTo(phones.kim)).toEqual([]);
    expect(sentTo(phones.ann)).toHaveLength(1);
    const skipped = await clinic.member.api.blasts.recipients.query({ blastId, status: 'skipped' });
    expect(skipped.recipients.map((r) => [r.firstName, r.skipReason])).toEqual([
      ['Jon', 'no_phone'],
      ['Kim', 'landline'],
    ]);
    expect(await server.db.prisma.auditEvent.count({ where: { orgId: clinic.org.id, action: 'blast.recipients_added', targetId: blastId } })).toBe(2);
  });

  it('a marketing blast adds a patient not opted in as skipped (not opted in)', async () => {
    const cohortId = (await clinic.owner.api.cohorts.create.mutate({ name: 'Nobody', filter: { tags: ['nobody-has-this'] } })).id;
    const promo = (await clinic.member.api.blasts.send.mutate({ teamId: clinic.team.id, cohortIds: [cohortId], body: 'Promo', marketing: true, idempotencyKey: 'results-key-2' })).blast.id;
    const lee = (await server.db.prisma.patient.create({ data: { orgId: clinic.org.id, firstName: 'Lee', phone: '+14155550309', phoneLineType: 'mobile' } })).id;
    expect(await clinic.member.api.blasts.addRecipients.mutate({ blastId: promo, patientIds: [lee] })).toMatchObject({ added: 1, queued: 0, skipped: { not_opted_in: 1 } });
    expect(sentTo('+14155550309')).toEqual([]);
  });

  it('the list shows sent / total per blast', async () => {
    const list = await clinic.member.api.blasts.list.query();
    expect(list.find((b) => b.id === blastId)).toMatchObject({ sent: 3, total: 7, status: 'completed' });
  });

  it('an unknown patient id is NOT_FOUND and adds nobody', async () => {
    const before = await server.db.prisma.blastRecipient.count({ where: { blastId } });
    expect((await errorOf(clinic.member.api.blasts.addRecipients.mutate({ blastId, patientIds: [ids.ann!, 'no-such-patient'] }))).code).toBe('NOT_FOUND');
    expect(await server.db.prisma.blastRecipient.count({ where: { blastId } })).toBe(before);
  });
});
