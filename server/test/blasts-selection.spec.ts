import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, messageReaches, smsClinic, startTestServer, type TestServer, waitFor } from './harness.js';

/**
 * Blasts to patients picked by hand (Bulk Text on the Patients page, the wizard's ?patients=):
 * the same skip rules as a cohort blast, ids that are no patient of the org are counted as
 * "not found" and never sent to, a double submit sends once, and Duplicate gets the same patients.
 */

let server: TestServer;
let clinic: Awaited<ReturnType<typeof smsClinic>>;
let other: Awaited<ReturnType<typeof smsClinic>>;
const ids: Record<string, string> = {};
const phones = { ann: '+14155550301', cy: '+14155550303', dee: '+14155550304', eve: '+14155550305', fay: '+14155550306', gus: '+14155550307', zed: '+14155550309' };

beforeAll(async () => {
  server = await startTestServer();
  clinic = await smsClinic(server, '+14155550300', 'Selection Clinic');
  other = await smsClinic(server, '+14155550310', 'Other Clinic');
  await clinic.owner.api.numbers.update.mutate({ numberId: clinic.number.id, messagesPerSecond: 50 });
  const p = server.db.prisma.patient;
  const base = { orgId: clinic.org.id, phoneLineType: 'mobile' };
  const make = async (key: string, data: Record<string, unknown>) => (ids[key] = (await p.create({ data: { ...base, ...data } as never })).id);
  await make('ann', { firstName: 'Ann', lastName: 'Avery', preferredName: 'Annie', phone: phones.ann, smsMarketingOptIn: true });
  await make('bob', { firstName: 'Bob', lastName: 'Baker' });
  await make('cy', { firstName: 'Cy', lastName: 'Cole', phone: phones.cy, blockedAt: new Date() });
  await make('dee', { firstName: 'Dee', lastName: 'Dunn', phone: phones.dee, optedOutAt: new Date() });
  await make('eve', { firstName: 'Eve', lastName: 'Ellis', phone: phones.eve });
  await server.db.prisma.smsOptOut.create({ data: { orgId: clinic.org.id, phoneNumberId: clinic.number.id, phone: phones.eve, keyword: 'STOP' } });
  await make('fay', { firstName: 'Fay', lastName: 'Ford', phone: phones.fay, phoneLineType: 'landline' });
  await make('gus', { firstName: 'Gus', lastName: 'Gray', phone: phones.gus });
  // Not selected: must never get a message of a selection blast.
  await make('zed', { firstName: 'Zed', lastName: 'Zane', phone: phones.zed });
});
afterAll(async () => {
  await server?.stop();
});

const sentTo = (phone: string) => server.simulator!.messages().filter((m) => m.to === phone && m.direction === 'outbound-api');
const picked = () => ['ann', 'bob', 'cy', 'dee', 'eve', 'fay', 'gus'].map((k) => ids[k]!);

describe('blast to selected patients: preview', () => {
  it('counts every skip reason with the cohort rules, once per patient, and unknown or other-org ids as not found', async () => {
    const api = clinic.member.api.blasts;
    const patientIds = [...picked(), ids.ann!, other.patient.id, 'no-such-patient'];
    expect(await api.preview.query({ teamId: clinic.team.id, patientIds, marketing: false })).toEqual({
      total: 7, willSend: 2, optedOut: 2, noContactInfo: 1, landline: 1, blocked: 1, notOptedIn: 0, notFound: 2,
    });
    expect(await api.preview.query({ teamId: clinic.team.id, patientIds, marketing: true })).toMatchObject({ total: 7, willSend: 1, notOptedIn: 1, notFound: 2 });
  });

  it('asks for exactly one of cohorts and patients, with a sentence a person understands', async () => {
    const api = clinic.member.api.blasts;
    const cohortId = (await clinic.owner.api.cohorts.create.mutate({ name: 'Everyone', filter: {} })).id;
    for (const input of [{ cohortIds: [cohortId], patientIds: [ids.ann!] }, {}, { cohortIds: [] }]) {
      const error = await errorOf(api.preview.query({ teamId: clinic.team.id, marketing: false, ...input }));
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.message).toMatch(/either to cohorts or to selected patients/);
    }
    expect((await errorOf(api.preview.query({ teamId: clinic.team.id, marketing: false, patientIds: [] }))).code).toBe('BAD_REQUEST');
    // More than a blast to a selection takes (a POST: a query string that long never reaches us).
    expect((await errorOf(api.send.mutate({ teamId: clinic.team.id, marketing: false, body: 'Hi', idempotencyKey: 'sel-many-0001', patientIds: Array.from({ length: 5001 }, (_, i) => `p${i}`) }))).code).toBe('BAD_REQUEST');
    const none = await errorOf(api.send.mutate({ teamId: clinic.team.id, patientIds: [other.patient.id], body: 'Hi', marketing: false, idempotencyKey: 'sel-none-0001' }));
    expect(none).toMatchObject({ code: 'NOT_FOUND', message: 'None of the selected patients were found in your organization.' });
  });

  it('the selection names this org\'s patients only, and is audited', async () => {
    const sel = await clinic.member.api.blasts.selection.query({ patientIds: [ids.gus!, ids.ann!, other.patient.id] });
    expect(sel).toMatchObject({ found: 2, notFound: 1 });
    expect(sel.patients.map((p) => p.firstName)).toEqual(['Ann', 'Gus']);
    expect(await server.db.prisma.auditEvent.count({ where: { orgId: clinic.org.id, action: 'blast.selection_viewed' } })).toBe(1);
  });
});

describe('blast to selected patients: send', () => {
  let blastId: string;

  it('a double submit makes one blast and sends each selected patient once, nobody else', async () => {
    const input = { teamId: clinic.team.id, patientIds: [...picked(), other.patient.id], body: 'Hi {{preferred_name}}, we moved.', marketing: false, idempotencyKey: 'sel-key-0001' };
    const [first, second] = await Promise.all([clinic.member.api.blasts.send.mutate(input), clinic.member.api.blasts.send.mutate(input)]);
    expect(first.blast.id).toBe(second.blast.id);
    expect([first.duplicate, second.duplicate].sort()).toEqual([false, true]);
    expect(await clinic.member.api.blasts.send.mutate(input)).toMatchObject({ duplicate: true, blast: { id: first.blast.id } });
    blastId = first.blast.id;
    expect(first.blast).toMatchObject({ cohortIds: [], selectedCount: 7 });
    expect(first.blast.name).toMatch(/^Bulk text, [A-Z][a-z]{2} \d{1,2}, \d{4}$/);
    expect(await server.db.prisma.blast.count({ where: { orgId: clinic.org.id } })).toBe(1);

    const recipients = await server.db.prisma.blastRecipient.findMany({ where: { blastId } });
    expect(recipients.map((r) => r.patientId).sort()).toEqual([...picked()].sort());
    const messages = await server.db.prisma.message.findMany({ where: { id: { in: recipients.flatMap((r) => (r.messageId ? [r.messageId] : [])) } } });
    expect(messages.map((m) => m.body).sort()).toEqual(['Hi Annie, we moved.', 'Hi Gus, we moved.']);
    for (const m of messages) await messageReaches(server, m.id, ['delivered'], 1200);
    expect(sentTo(phones.ann).map((m) => m.body)).toEqual(['Hi Annie, we moved.']);
    expect(sentTo(phones.gus)).toHaveLength(1);
    for (const phone of [phones.cy, phones.dee, phones.eve, phones.fay, phones.zed, other.patient.phone!]) expect(sentTo(phone)).toEqual([]);

    const audit = await server.db.prisma.auditEvent.findFirstOrThrow({ where: { orgId: clinic.org.id, action: 'blast.sent', targetId: blastId } });
    expect(audit.data).toMatchObject({ cohortIds: [], selectedPatients: 7, notFound: 1, queued: 2 });
  });

  it('the blast keeps the selection, so Duplicate pre-fills the same patients; its stats are the usual ones', async () => {
    const blast = await waitFor(async () => {
      const b = await clinic.member.api.blasts.get.query({ blastId });
      return b.status === 'completed' ? b : null;
    }, 2400);
    expect([...blast.patientIds].sort()).toEqual([...picked()].sort());
    expect(blast.stats).toMatchObject({ total: 7, sent: 2, skipped: 5, optedOut: 2, blocked: 1 });
    expect((await clinic.member.api.blasts.list.query()).find((b) => b.id === blastId)).toMatchObject({ selectedCount: 7, total: 7, sent: 2 });
  });

  it('Send Test to Me renders for a patient of the selection, never someone outside it', async () => {
    await clinic.member.api.account.setPhone.mutate({ phone: '+14155550399' });
    const test = await clinic.member.api.blasts.sendTest.mutate({ teamId: clinic.team.id, patientIds: [ids.gus!, ids.bob!], marketing: false, body: 'Hi {{first_name}}' });
    expect(test).toMatchObject({ to: '+14155550399', body: 'Hi Gus', samplePatient: { id: ids.gus } });
    const outside = await errorOf(clinic.member.api.blasts.sendTest.mutate({ teamId: clinic.team.id, patientIds: [ids.gus!], marketing: false, body: 'Hi {{first_name}}', patientId: ids.zed }));
    expect(outside.code).toBe('NOT_FOUND');
  });
});
