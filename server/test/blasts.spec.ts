import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, messageReaches, smsClinic, startTestServer, type TestServer, waitFor } from './harness.js';

/**
 * SMS blasts (server): one patient per skip reason, two cohorts that overlap, a blast through
 * the send worker to the simulator, and the stat cards afterwards.
 */

let server: TestServer;
let clinic: Awaited<ReturnType<typeof smsClinic>>;
let cohortA: string;
let cohortB: string;
const phones = { ann: '+14155550201', cy: '+14155550203', dee: '+14155550204', eve: '+14155550205', fay: '+14155550206', gus: '+14155550207' };

beforeAll(async () => {
  server = await startTestServer();
  clinic = await smsClinic(server, '+14155550200', 'Blast Clinic');
  await clinic.owner.api.numbers.update.mutate({ numberId: clinic.number.id, messagesPerSecond: 50 });
  const orgId = clinic.org.id;
  const p = server.db.prisma.patient;
  const base = { orgId, phoneLineType: 'mobile' };
  await p.create({ data: { ...base, firstName: 'Ann', lastName: 'Avery', preferredName: 'Annie', phone: phones.ann, tags: ['a'], smsMarketingOptIn: true } });
  await p.create({ data: { ...base, firstName: 'Bob', lastName: 'Baker', tags: ['a'], smsMarketingOptIn: true } });
  await p.create({ data: { ...base, firstName: 'Cy', lastName: 'Cole', phone: phones.cy, tags: ['a'], blockedAt: new Date(), smsMarketingOptIn: true } });
  await p.create({ data: { ...base, firstName: 'Dee', lastName: 'Dunn', phone: phones.dee, tags: ['b'], optedOutAt: new Date(), smsMarketingOptIn: true } });
  await p.create({ data: { ...base, firstName: 'Eve', lastName: 'Ellis', phone: phones.eve, tags: ['b'], smsMarketingOptIn: true } });
  await server.db.prisma.smsOptOut.create({ data: { orgId, phoneNumberId: clinic.number.id, phone: phones.eve, keyword: 'STOP' } });
  await p.create({ data: { ...base, firstName: 'Fay', lastName: 'Ford', phone: phones.fay, phoneLineType: 'landline', tags: ['b'], smsMarketingOptIn: true } });
  // In both cohorts; not opted in to marketing.
  await p.create({ data: { ...base, firstName: 'Gus', lastName: 'Gray', phone: phones.gus, tags: ['a', 'b'] } });
  cohortA = (await clinic.owner.api.cohorts.create.mutate({ name: 'Tag A', filter: { tags: ['a'] } })).id;
  cohortB = (await clinic.owner.api.cohorts.create.mutate({ name: 'Tag B', filter: { tags: ['b'] } })).id;
});
afterAll(async () => {
  await server?.stop();
});

const sentTo = (phone: string) => server.simulator!.messages().filter((m) => m.to === phone && m.direction === 'outbound-api');

describe('blast preview', () => {
  it('counts every skip reason once per patient over the union of cohorts (transactional)', async () => {
    const preview = await clinic.member.api.blasts.preview.query({ teamId: clinic.team.id, cohortIds: [cohortA, cohortB], marketing: false });
    expect(preview).toEqual({ total: 7, willSend: 2, optedOut: 2, noContactInfo: 1, landline: 1, blocked: 1, notOptedIn: 0, notFound: 0 });
  });

  it('marketing also skips patients not opted in to SMS marketing', async () => {
    const preview = await clinic.member.api.blasts.preview.query({ teamId: clinic.team.id, cohortIds: [cohortA, cohortB], marketing: true });
    expect(preview).toEqual({ total: 7, willSend: 1, optedOut: 2, noContactInfo: 1, landline: 1, blocked: 1, notOptedIn: 1, notFound: 0 });
  });
});

describe('blast send', () => {
  let blastId: string;

  it('a double submit makes one blast and one message per patient, rendered per patient', async () => {
    const input = { teamId: clinic.team.id, cohortIds: [cohortA, cohortB], body: 'Hi {{preferred_name}}, flu shots at {{org_name}}.', marketing: false, idempotencyKey: 'blast-key-0001' };
    const [first, second] = await Promise.all([clinic.member.api.blasts.send.mutate(input), clinic.member.api.blasts.send.mutate(input)]);
    expect(first.blast.id).toBe(second.blast.id);
    expect([first.duplicate, second.duplicate].sort()).toEqual([false, true]);
    const third = await clinic.member.api.blasts.send.mutate(input);
    expect(third).toMatchObject({ duplicate: true, blast: { id: first.blast.id } });
    blastId = first.blast.id;
    expect(first.blast.name).toMatch(/^Tag A \+ 1 more, /);
    expect(await server.db.prisma.blast.count({ where: { orgId: clinic.org.id } })).toBe(1);

    const recipients = await server.db.prisma.blastRecipient.findMany({ where: { blastId } });
    expect(recipients).toHaveLength(7);
    const messages = await server.db.prisma.message.findMany({ where: { id: { in: recipients.flatMap((r) => (r.messageId ? [r.messageId] : [])) } } });
    expect(messages.map((m) => m.body).sort()).toEqual(['Hi Annie, flu shots at Blast Clinic.', 'Hi Gus, flu shots at Blast Clinic.']);

    for (const m of messages) await messageReaches(server, m.id, ['delivered'], 1200);
    expect(sentTo(phones.ann).map((m) => m.body)).toEqual(['Hi Annie, flu shots at Blast Clinic.']);
    expect(sentTo(phones.gus).map((m) => m.body)).toEqual(['Hi Gus, flu shots at Blast Clinic.']);
    for (const phone of [phones.cy, phones.dee, phones.eve, phones.fay]) expect(sentTo(phone)).toEqual([]);
    // Each in the patient's conversation with the team's number (Gus's was created set-based).
    const conversations = await server.db.prisma.conversation.findMany({ where: { id: { in: messages.map((m) => m.conversationId) } } });
    expect(conversations.every((c) => c.phoneNumberId === clinic.number.id && c.teamId === clinic.team.id && c.kind === 'sms')).toBe(true);
  });

  it('shows stats and the recipient table after delivery, with replies counted', async () => {
    await server.simulator!.simulateInbound({ from: phones.gus, to: clinic.number.e164, body: 'Thanks, see you' });
    const blast = await waitFor(async () => {
      const b = await clinic.member.api.blasts.get.query({ blastId });
      return b.stats.replied === 1 ? b : null;
    });
    expect(blast.status).toBe('completed');
    expect(blast.stats).toEqual({ total: 7, sent: 2, skipped: 5, optedOut: 2, blocked: 1, replied: 1, failed: 0, queued: 0, canceled: 0, awaitingReport: 0 });
    const skipped = await clinic.member.api.blasts.recipients.query({ blastId, status: 'skipped' });
    expect(skipped.recipients.map((r) => [r.firstName, r.skipReason])).toEqual([
      ['Bob', 'no_phone'],
      ['Cy', 'blocked'],
      ['Dee', 'opted_out'],
      ['Eve', 'opted_out'],
      ['Fay', 'landline'],
    ]);
    const replied = await clinic.member.api.blasts.recipients.query({ blastId, status: 'replied' });
    expect(replied.recipients.map((r) => r.firstName)).toEqual(['Gus']);
    expect((await clinic.member.api.blasts.recipients.query({ blastId, status: 'sent' })).recipients.map((r) => r.firstName)).toEqual(['Ann', 'Gus']);
    expect((await clinic.member.api.blasts.list.query()).map((b) => b.id)).toEqual([blastId]);
    const audit = await server.db.prisma.auditEvent.findMany({ where: { orgId: clinic.org.id, action: 'blast.sent' } });
    expect(audit).toHaveLength(1);
  });

  it('a marketing blast reaches only opted-in patients, and each patient exactly once per blast', async () => {
    const { blast } = await clinic.owner.api.blasts.send.mutate({ teamId: clinic.team.id, cohortIds: [cohortA, cohortB, cohortA], name: 'Spring promo', body: 'Promo for {{first_name}}', marketing: true, idempotencyKey: 'blast-key-0002' });
    expect(blast).toMatchObject({ name: 'Spring promo', marketing: true });
    const done = await waitFor(async () => {
      const b = await clinic.owner.api.blasts.get.query({ blastId: blast.id });
      return b.status === 'completed' ? b : null;
    }, 2400);
    expect(done.stats).toMatchObject({ total: 7, sent: 1, skipped: 6 });
    expect(sentTo(phones.ann).map((m) => m.body)).toEqual(['Hi Annie, flu shots at Blast Clinic.', 'Promo for Ann']);
    expect(sentTo(phones.gus)).toHaveLength(1);
  });

  it("quiet hours defer a patient's message to their next allowed time, never drop it", async () => {
    const base = { orgId: clinic.org.id, phoneLineType: 'mobile', tags: ['night'] };
    // 16:00 UTC: 11:00 in Chicago (the org), 01:00 in Tokyo (quiet until 08:00, 23:00 UTC).
    await server.db.prisma.patient.create({ data: { ...base, firstName: 'Hana', lastName: 'Hoshi', phone: '+14155550208', timeZone: 'Asia/Tokyo' } });
    await server.db.prisma.patient.create({ data: { ...base, firstName: 'Ivan', lastName: 'Ivers', phone: '+14155550209' } });
    const night = (await clinic.owner.api.cohorts.create.mutate({ name: 'Night', filter: { tags: ['night'] } })).id;
    const { blast } = await clinic.member.api.blasts.send.mutate({ teamId: clinic.team.id, cohortIds: [night], body: 'Hello {{first_name}}', marketing: false, idempotencyKey: 'blast-key-0004' });
    const recipients = await server.db.prisma.blastRecipient.findMany({ where: { blastId: blast.id } });
    const messages = await server.db.prisma.message.findMany({ where: { id: { in: recipients.map((r) => r.messageId!) } } });
    const hana = messages.find((m) => m.body === 'Hello Hana')!;
    const ivan = messages.find((m) => m.body === 'Hello Ivan')!;
    expect(hana.sendAfter?.toISOString()).toMatch(/^\d{4}-\d{2}-\d{2}T23:00:00/);
    expect(ivan.sendAfter).toBeNull();
    await messageReaches(server, ivan.id, ['delivered'], 1200);
    expect(await server.db.prisma.message.findUnique({ where: { id: hana.id } })).toMatchObject({ status: 'queued' });
    expect(sentTo('+14155550208')).toEqual([]);
  });

  it('refuses an empty message and a team without a number', async () => {
    expect((await errorOf(clinic.member.api.blasts.send.mutate({ teamId: clinic.team.id, cohortIds: [cohortA], body: '   ', marketing: false, idempotencyKey: 'blast-key-0003' }))).code).toBe('BAD_REQUEST');
    const team = await clinic.owner.api.teams.create.mutate({ name: 'No Number' });
    await clinic.owner.api.teams.addMember.mutate({ teamId: team.id, userId: (await clinic.owner.api.auth.me.query())!.user.id });
    expect((await errorOf(clinic.owner.api.blasts.preview.query({ teamId: team.id, cohortIds: [cohortA], marketing: false }))).code).toBe('BAD_REQUEST');
    expect(await server.db.prisma.blast.count({ where: { orgId: clinic.org.id } })).toBe(3);
  });

  it('asks before sending what looks like PHI to a whole cohort, and records the override', async () => {
    const before = await server.db.prisma.blast.count({ where: { orgId: clinic.org.id } });
    const body = 'Your lab results are positive, please call us.';
    const refused = await errorOf(clinic.member.api.blasts.send.mutate({ teamId: clinic.team.id, cohortIds: [cohortA], body, marketing: false, idempotencyKey: 'blast-key-phi1' }));
    expect(refused).toMatchObject({ code: 'PRECONDITION_FAILED', message: expect.stringContaining('lab or test results') });
    expect(await server.db.prisma.blast.count({ where: { orgId: clinic.org.id } })).toBe(before);
    expect(await server.db.prisma.message.count({ where: { orgId: clinic.org.id, body } })).toBe(0);
    // Confirmed: sent, and the audit entry says which patterns were overridden.
    const { blast } = await clinic.member.api.blasts.send.mutate({ teamId: clinic.team.id, cohortIds: [cohortA], body, marketing: false, idempotencyKey: 'blast-key-phi2', confirmPhi: true });
    const audit = await server.db.prisma.auditEvent.findFirstOrThrow({ where: { orgId: clinic.org.id, action: 'blast.sent', targetId: blast.id } });
    expect((audit.data as { phiOverride?: string[] }).phiOverride?.length).toBeGreaterThan(0);
  });
});
