import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_LIMIT, TEST_WINDOW_MS } from '../src/blasts/blasts.service.js';
import { errorOf, smsClinic, startTestServer, type TestServer } from './harness.js';

/**
 * Send Test to Me: the blast's message, rendered for a sample patient of the audience, reaches
 * the signed-in person's own phone (set with account.setPhone) from the team's number through
 * the carrier (the simulator, via the Twilio SDK). It is no recipient, no message of any
 * conversation and no stat; it is rate-limited per person and audited.
 */

let server: TestServer;
let clinic: Awaited<ReturnType<typeof smsClinic>>;
let cohortId: string;
const MY_PHONE = '+14155556801';

beforeAll(async () => {
  server = await startTestServer();
  clinic = await smsClinic(server, '+14155556800', 'Test Clinic');
  const base = { orgId: clinic.org.id, phoneLineType: 'mobile', tags: ['tested'] };
  // Aaron is first by name but opted out: the sample is the first patient who would get the message.
  await server.db.prisma.patient.create({ data: { ...base, firstName: 'Aaron', lastName: 'Abbot', phone: '+14155556802', optedOutAt: new Date() } });
  await server.db.prisma.patient.create({ data: { ...base, firstName: 'Beatriz', lastName: 'Bell', preferredName: 'Bea', phone: '+14155556803' } });
  await server.db.prisma.patient.create({ data: { ...base, firstName: 'Carl', lastName: 'Cole', phone: '+14155556804' } });
  cohortId = (await clinic.owner.api.cohorts.create.mutate({ name: 'Tested', filter: { tags: ['tested'] } })).id;
});
afterAll(async () => {
  await server?.stop();
});

const toMe = () => server.simulator!.messages().filter((m) => m.direction === 'outbound-api' && m.to === MY_PHONE);
const test = (extra: { patientId?: string } = {}) =>
  clinic.member.api.blasts.sendTest.mutate({ teamId: clinic.team.id, cohortIds: [cohortId], marketing: false, body: 'Hi {{preferred_name}}, flu shots at {{org_name}}.', ...extra });

describe('my phone (account)', () => {
  it('is set through the shared phone parser (E.164), refused when it is not a phone, and cleared with an empty value', async () => {
    expect(await clinic.member.api.account.get.query()).toMatchObject({ phone: null });
    expect((await errorOf(clinic.member.api.account.setPhone.mutate({ phone: 'call me' }))).code).toBe('BAD_REQUEST');
    expect((await errorOf(clinic.member.api.account.setPhone.mutate({ phone: '415 555 6801 ext 12' }))).message).toContain('extension');
    expect(await clinic.member.api.account.setPhone.mutate({ phone: '(415) 555-6801' })).toMatchObject({ phone: MY_PHONE });
    expect(await clinic.owner.api.account.get.query()).toMatchObject({ phone: null }); // one's own only
    const audit = await server.db.prisma.auditEvent.findFirstOrThrow({ where: { action: 'account.phone_changed', orgId: clinic.org.id } });
    expect(audit.summary).toContain('(415) 555-6801');
    expect(await clinic.owner.api.account.setPhone.mutate({ phone: '+14155556899' })).toMatchObject({ phone: '+14155556899' });
    expect(await clinic.owner.api.account.setPhone.mutate({ phone: '' })).toMatchObject({ phone: null });
  });
});

describe('Send Test to Me', () => {
  it('asks for a phone first', async () => {
    const refused = await errorOf(clinic.owner.api.blasts.sendTest.mutate({ teamId: clinic.team.id, cohortIds: [cohortId], marketing: false, body: 'Hi' }));
    expect(refused).toMatchObject({ code: 'PRECONDITION_FAILED', message: expect.stringContaining('mobile number') });
  });

  it("texts the message rendered for the audience's first sendable patient to my phone from the team's number; no recipient, message or stat", async () => {
    const before = { messages: await server.db.prisma.message.count(), blasts: await server.db.prisma.blast.count(), recipients: await server.db.prisma.blastRecipient.count() };
    const result = await test();
    expect(result).toMatchObject({ sent: true, to: MY_PHONE, body: 'Hi Bea, flu shots at Test Clinic.', samplePatient: { firstName: 'Beatriz' } });
    expect(toMe().map((m) => [m.from, m.body])).toEqual([[clinic.number.e164, 'Hi Bea, flu shots at Test Clinic.']]);
    expect({ messages: await server.db.prisma.message.count(), blasts: await server.db.prisma.blast.count(), recipients: await server.db.prisma.blastRecipient.count() }).toEqual(before);
    // Nobody in the audience got anything.
    expect(server.simulator!.messages().filter((m) => m.to.startsWith('+1415555680') && m.to !== MY_PHONE)).toEqual([]);
    const audit = await server.db.prisma.auditEvent.findFirstOrThrow({ where: { action: 'blast.test_sent', orgId: clinic.org.id }, orderBy: { createdAt: 'desc' } });
    expect(audit).toMatchObject({ actorId: (await clinic.member.api.auth.me.query())!.user.id, targetId: result.samplePatient!.id });
  });

  it('renders for the chosen sample patient, who must be in the audience', async () => {
    const carl = await server.db.prisma.patient.findFirstOrThrow({ where: { orgId: clinic.org.id, firstName: 'Carl' } });
    expect((await test({ patientId: carl.id })).body).toBe('Hi Carl, flu shots at Test Clinic.');
    const stranger = await server.db.prisma.patient.create({ data: { orgId: clinic.org.id, firstName: 'Zed', phone: '+14155556805' } });
    expect((await errorOf(test({ patientId: stranger.id }))).code).toBe('NOT_FOUND');
  });

  it(`allows ${TEST_LIMIT} tests per person in ${TEST_WINDOW_MS / 60_000} minutes, then again once the window has passed`, async () => {
    server.clock.advance(TEST_WINDOW_MS); // the earlier tests' sends leave the window
    const sentBefore = toMe().length;
    const results = await Promise.allSettled(Array.from({ length: TEST_LIMIT + 2 }, () => test()));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(TEST_LIMIT);
    const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason as Error);
    expect(refused.map((e) => e.message)).toEqual(Array(2).fill(`You have sent yourself ${TEST_LIMIT} tests in the last 10 minutes. Wait a few minutes and try again.`));
    expect(toMe().length - sentBefore).toBe(TEST_LIMIT);
    server.clock.advance(TEST_WINDOW_MS);
    await clinic.member.api.auth.me.query();
    expect((await test()).sent).toBe(true);
  });
});
