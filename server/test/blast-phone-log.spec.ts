import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatSent } from '../src/numbers/phone-log.js';
import { smsClinic, startTestServer, type TestServer, waitFor } from './harness.js';

/**
 * The phone-log export (Directory → Phone numbers → Export phone logs) lists a blast's
 * recipients refused before the carrier (opted out, landline, blocked, no phone) as Error rows
 * with the reason, beside the messages that went out, as the product's export shows them.
 */

let server: TestServer;
let clinic: Awaited<ReturnType<typeof smsClinic>>;
let cohortId: string;

beforeAll(async () => {
  server = await startTestServer();
  clinic = await smsClinic(server, '+14155556900', 'Log Clinic');
  await clinic.owner.api.numbers.update.mutate({ numberId: clinic.number.id, messagesPerSecond: 50 });
  const base = { orgId: clinic.org.id, phoneLineType: 'mobile', tags: ['log'] };
  const p = server.db.prisma.patient;
  await p.create({ data: { ...base, firstName: 'Ana', lastName: 'Sent', phone: '+14155556901', smsMarketingOptIn: true } });
  await p.create({ data: { ...base, firstName: 'Ben', lastName: 'Stopped', phone: '+14155556902', optedOutAt: new Date() } });
  await p.create({ data: { ...base, firstName: 'John', lastName: 'Smith', phone: '+14155556903', phoneLineType: 'landline', dob: '1970-01-02', email: 'john@example.com' } });
  await p.create({ data: { ...base, firstName: 'Cy', lastName: 'Blocked', phone: '+14155556904', blockedAt: new Date() } });
  await p.create({ data: { ...base, firstName: 'Dot', lastName: 'Nophone' } });
  cohortId = (await clinic.owner.api.cohorts.create.mutate({ name: 'Log', filter: { tags: ['log'] } })).id;
});
afterAll(async () => {
  await server?.stop();
});

async function exportLines() {
  const res = await fetch(`${server.url}/api/numbers/${clinic.number.id}/phone-log.csv`, { headers: { authorization: `Bearer ${clinic.owner.token}` } });
  expect(res.status).toBe(200);
  return (await res.text()).replace(/^\ufeff/, '').trim().split('\r\n');
}

describe('phone-log export of a blast', () => {
  it('lists recipients refused before the carrier as Error rows with the reason, at the blast\'s start', async () => {
    const { blast } = await clinic.member.api.blasts.send.mutate({ teamId: clinic.team.id, cohortIds: [cohortId], body: 'Hi {{first_name}}', marketing: false, idempotencyKey: 'log-key-0001' });
    await waitFor(async () => ((await clinic.member.api.blasts.get.query({ blastId: blast.id })).status === 'completed' ? true : null), 1200);
    // Completed means none is queued or sending; "sent" turns "delivered" with the carrier's callback.
    await waitFor(async () => ((await server.db.prisma.message.findFirst({ where: { toNumber: '+14155556901', status: 'delivered' } })) ? true : null), 1200);
    const row = await server.db.prisma.blast.findUniqueOrThrow({ where: { id: blast.id } });
    const message = await server.db.prisma.message.findFirstOrThrow({ where: { toNumber: '+14155556901' } });
    const from = clinic.number.e164;
    const at = formatSent(row.sentAt!, 'America/Chicago');
    const lines = await exportLines();
    expect(lines[0]).toBe('Sent,From,To,First,Last,Dob,Email,Status,ErrorCode,ErrorMessage');
    // The blast's Error rows share its start time; sorted by time, then id, so compare as a set.
    expect(new Set(lines.slice(1))).toEqual(
      new Set([
        // smsClinic's own patient (Amina) is not in the cohort and was never texted.
        `${formatSent(message.sentAt!, 'America/Chicago')},${from},+14155556901,Ana,Sent,,,Delivered,,`,
        `${at},${from},+14155556902,Ben,Stopped,,,Error,,Opted out of SMS — not sent`,
        `${at},${from},+14155556903,John,Smith,1970-01-02,john@example.com,Error,,Landline — cannot receive SMS`,
        `${at},${from},+14155556904,Cy,Blocked,,,Error,,Blocked by the clinic — not sent`,
        `${at},${from},,Dot,Nophone,,,Error,,No phone number — not sent`,
      ]),
    );
  });

  it('a marketing blast does not list patients who did not opt in to marketing; a scheduled blast lists nobody before it starts, a canceled one never', async () => {
    const before = await exportLines();
    await server.db.prisma.patient.create({ data: { orgId: clinic.org.id, phoneLineType: 'mobile', tags: ['log'], firstName: 'Eve', lastName: 'Notoptedin', phone: '+14155556905' } });
    // Marketing: only Ana is opted in; the other four are refused for the same reasons as above (before "not opted in").
    const { blast: marketing } = await clinic.member.api.blasts.send.mutate({ teamId: clinic.team.id, cohortIds: [cohortId], body: 'Promo', marketing: true, idempotencyKey: 'log-key-0002' });
    await waitFor(async () => ((await clinic.member.api.blasts.get.query({ blastId: marketing.id })).status === 'completed' ? true : null), 1200);
    const afterMarketing = await exportLines();
    expect(afterMarketing.length - before.length).toBe(5); // Ana delivered + the same 4 refusals
    expect(afterMarketing.filter((l) => l.includes('Opted out of SMS'))).toHaveLength(2);
    expect(afterMarketing.filter((l) => l.includes('Notoptedin'))).toEqual([]);
    expect((await clinic.member.api.blasts.get.query({ blastId: marketing.id })).stats).toMatchObject({ total: 6, skipped: 5, sent: 1 });

    const { blast: later } = await clinic.member.api.blasts.send.mutate({ teamId: clinic.team.id, cohortIds: [cohortId], body: 'Later', marketing: false, idempotencyKey: 'log-key-0003', scheduledAt: '2026-04-22T13:00' }); // 18:00 UTC, two hours ahead
    expect(await exportLines()).toEqual(afterMarketing);
    await clinic.member.api.blasts.cancel.mutate({ blastId: later.id });
    server.clock.advance(3 * 3600_000);
    expect(await exportLines()).toEqual(afterMarketing);
  });
});
