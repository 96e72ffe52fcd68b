import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SendWorker } from '../../src/messages/send-worker.js';
import { errorOf, joinAs, orgWithStaff, smsClinic, startTestServer, type TestServer } from '../harness.js';
import { reaches } from './messaging-helpers.js';

/**
 * Issue 9, item 4 (a released number must not carry one tenant's conversations into the next
 * owner's) and item 19 (who may export which phone log).
 */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

/** The file's first test also warms the server up (first queries, first carrier calls), so it gets longer. */
const FIRST_TEST_MS = 90_000;

let phoneCounter = 7100;
const nextPhone = () => `+1415555${String(phoneCounter++).padStart(4, '0')}`;

/** An SMS-plan org with a "Front Desk" team (owner + member), without a number yet. */
async function smsOrgWithoutNumber(name: string) {
  const staff = await orgWithStaff(server, name);
  await staff.owner.api.plan.checkout.mutate({ plan: 'sms' });
  const team = await staff.owner.api.teams.create.mutate({ name: 'Front Desk' });
  for (const who of [staff.owner, staff.member]) {
    await staff.owner.api.teams.addMember.mutate({ teamId: team.id, userId: (await who.api.auth.me.query())!.user.id });
  }
  return { ...staff, team };
}

describe('a released number is a new row for its next owner (item 4)', () => {
  it("org A releases, org B buys the same number: A's old conversation cannot send, and the patient's reply lands only in B, with none of A's history", async () => {
    const patientPhone = nextPhone();
    const a = await smsClinic(server, patientPhone, 'Released A');
    const e164 = a.number.e164;

    // History in A: a delivered reminder and the patient's answer.
    const sent = await a.member.api.conversations.send.mutate({ conversationId: a.conversationId, body: 'Your appointment is on Tuesday.' });
    await reaches(server, sent.messageId, ['delivered']);
    await server.simulator!.simulateInbound({ from: patientPhone, to: e164, body: 'Thanks, A clinic' });
    const aMessages = await server.db.prisma.message.count({ where: { orgId: a.org.id } });
    const aPatients = await server.db.prisma.patient.count({ where: { orgId: a.org.id } });
    const aConversations = await server.db.prisma.conversation.count({ where: { orgId: a.org.id } });

    await a.owner.api.numbers.release.mutate({ numberId: a.number.id });
    expect(server.simulator!.numbers().some((n) => n.phoneNumber === e164)).toBe(false);

    // Org B buys exactly that number (the carrier hands it out again).
    const b = await smsOrgWithoutNumber('Released B');
    const bNumber = await b.owner.api.numbers.buy.mutate({ phoneNumber: e164, teamId: b.team.id });
    expect(bNumber.e164).toBe(e164);
    expect(bNumber.id).not.toBe(a.number.id);
    const rows = await server.db.prisma.phoneNumber.findMany({ where: { e164 }, orderBy: { createdAt: 'asc' } });
    expect(rows.map((r) => [r.orgId, r.status])).toEqual([
      [a.org.id, 'released'],
      [b.org.id, 'active'],
    ]);
    expect(rows[0]!.releasedAt).not.toBeNull();
    // A's released row keeps A's conversations.
    expect(await server.db.prisma.conversation.count({ where: { phoneNumberId: a.number.id, orgId: a.org.id } })).toBe(1);

    // A's old conversation is read-only, with the reason, and refuses to send.
    const view = await a.member.api.conversations.get.query({ conversationId: a.conversationId });
    expect(view.number).toMatchObject({ active: false });
    expect(view.readOnly).toMatch(/^This number \(\(\d{3}\) \d{3}-\d{4}\) was released on \d{4}-\d{2}-\d{2}; start a new conversation from a current number\.$/);
    const refused = await errorOf(a.member.api.conversations.send.mutate({ conversationId: a.conversationId, body: 'Are you still there?' }));
    expect(refused).toMatchObject({ code: 'BAD_REQUEST' });
    expect(refused.message).toContain('was released on');
    await server.app.get(SendWorker).drain();
    expect(server.simulator!.messages().filter((m) => m.body === 'Are you still there?')).toHaveLength(0);

    // Nor can A fake the patient's reply into the number's new owner (demo "reply as patient").
    expect((await errorOf(a.member.api.simulator.replyAsPatient.mutate({ conversationId: a.conversationId, body: 'Injected into B' }))).code).toBe('BAD_REQUEST');

    // The patient texts the number: it is B's now, and only B hears it.
    await server.simulator!.simulateInbound({ from: patientPhone, to: e164, body: 'Hi, it is me again' });
    expect(await server.db.prisma.message.count({ where: { orgId: a.org.id } })).toBe(aMessages);
    expect(await server.db.prisma.patient.count({ where: { orgId: a.org.id } })).toBe(aPatients);
    expect(await server.db.prisma.conversation.count({ where: { orgId: a.org.id } })).toBe(aConversations);

    const { conversations } = await b.member.api.conversations.list.query({});
    expect(conversations).toHaveLength(1);
    expect(conversations[0]).toMatchObject({ number: { id: bNumber.id, active: true }, patient: { phone: patientPhone, source: 'inbound_sms' }, lastMessagePreview: 'Hi, it is me again' });
    const bView = await b.member.api.conversations.get.query({ conversationId: conversations[0]!.id });
    expect(bView.messages.map((m) => m.body)).toEqual(['Hi, it is me again']);
    expect(bView.readOnly).toBeNull();
    // B's auto-created patient is B's own record: none of A's history comes with it.
    const history = await b.member.api.conversations.forPatient.query({ patientId: bView.patient!.id });
    expect(history.messages.map((m) => m.body)).toEqual(['Hi, it is me again']);
    expect(history.hiddenConversations).toBe(0);

    // B sends from it normally; A's inbox still lists its old thread, marked not active.
    const bSent = await b.member.api.conversations.send.mutate({ conversationId: bView.id, body: 'Welcome to B' });
    await reaches(server, bSent.messageId, ['delivered']);
    const aList = await a.member.api.conversations.list.query({});
    expect(aList.conversations.find((c) => c.id === a.conversationId)).toMatchObject({ number: { active: false } });
  }, FIRST_TEST_MS);

  it("opt-outs stay with the owner they were given to: A's STOP is not B's, B's STOP is not A's", async () => {
    const patientPhone = nextPhone();
    const a = await smsClinic(server, patientPhone, 'Opt A');
    await server.simulator!.simulateInbound({ from: patientPhone, to: a.number.e164, body: 'STOP' });
    await a.owner.api.numbers.release.mutate({ numberId: a.number.id });
    const b = await smsOrgWithoutNumber('Opt B');
    const bNumber = await b.owner.api.numbers.buy.mutate({ phoneNumber: a.number.e164, teamId: b.team.id });
    const patient = await b.member.api.patients.create.mutate({ firstName: 'Ines', phone: patientPhone });
    // (Whether the carrier keeps a STOP across owners is the carrier's business; ours is per owner.)
    const offered = await b.member.api.conversations.availability.query({ teamId: b.team.id, patientIds: [patient.id] });
    expect(offered.sms).toMatchObject({ available: true, reason: null });
    expect(await server.db.prisma.smsOptOut.count({ where: { phoneNumberId: bNumber.id } })).toBe(0);
    expect(await server.db.prisma.smsOptOut.count({ where: { phoneNumberId: a.number.id, orgId: a.org.id } })).toBe(1);

    await server.simulator!.simulateInbound({ from: patientPhone, to: bNumber.e164, body: 'START' });
    await server.simulator!.simulateInbound({ from: patientPhone, to: bNumber.e164, body: 'STOP' });
    expect(await server.db.prisma.smsOptOut.findMany({ where: { phone: patientPhone }, select: { orgId: true, phoneNumberId: true } })).toEqual(
      expect.arrayContaining([
        { orgId: a.org.id, phoneNumberId: a.number.id },
        { orgId: b.org.id, phoneNumberId: bNumber.id },
      ]),
    );
    expect(await server.db.prisma.consentEvent.count({ where: { orgId: a.org.id, note: { contains: 'START' } } })).toBe(0);
  });

  it('buying a number the org released earlier makes a new row too, and the old thread stays read-only', async () => {
    const a = await smsClinic(server, nextPhone(), 'Rebuy A');
    await a.owner.api.numbers.release.mutate({ numberId: a.number.id });
    const again = await a.owner.api.numbers.buy.mutate({ phoneNumber: a.number.e164, teamId: a.team.id });
    expect(again.id).not.toBe(a.number.id);
    expect((await errorOf(a.member.api.conversations.send.mutate({ conversationId: a.conversationId, body: 'Old thread' }))).message).toContain('was released on');
    const { conversationId } = await a.member.api.conversations.startSms.mutate({ teamId: a.team.id, patientId: a.patient.id });
    expect(conversationId).not.toBe(a.conversationId);
    const sent = await a.member.api.conversations.send.mutate({ conversationId, body: 'New thread' });
    await reaches(server, sent.messageId, ['delivered']);
    // Buying it once more while it is active is a no-op, not a second row.
    expect((await a.owner.api.numbers.buy.mutate({ phoneNumber: a.number.e164, teamId: a.team.id })).id).toBe(again.id);
    expect(await server.db.prisma.phoneNumber.count({ where: { e164: a.number.e164, status: 'active' } })).toBe(1);
  });

  it('the database refuses a second active row for one number', async () => {
    const a = await smsClinic(server, nextPhone(), 'Unique A');
    const row = await server.db.prisma.phoneNumber.findUniqueOrThrow({ where: { id: a.number.id } });
    const dup = server.db.prisma.phoneNumber.create({ data: { orgId: row.orgId, teamId: row.teamId, e164: row.e164, carrierSid: `PN${'0'.repeat(30)}dup`, status: 'active' } });
    await expect(dup).rejects.toMatchObject({ code: 'P2002' });
  });
});

describe('phone log export by team (item 19)', () => {
  const csv = (token: string, path: string) => fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const lines = async (res: Response) => (await res.text()).replace(/^\ufeff/, '').trim().split('\r\n');

  it("a member exports their own team's number, not another team's; by default only their teams'; an admin exports all", async () => {
    const clinic = await smsClinic(server, nextPhone(), 'Export Clinic');
    const sent = await clinic.member.api.conversations.send.mutate({ conversationId: clinic.conversationId, body: 'Front desk reminder' });
    await reaches(server, sent.messageId, ['delivered']);

    // A second team with its own number and message, which the member is not on.
    const nursing = await clinic.owner.api.teams.create.mutate({ name: 'Nursing' });
    const nurse = await joinAs(server, clinic.owner, 'member', 'A nurse');
    await clinic.owner.api.teams.addMember.mutate({ teamId: nursing.id, userId: (await nurse.api.auth.me.query())!.user.id });
    const [available] = await clinic.owner.api.numbers.search.query({ areaCode: '212' });
    const nursingNumber = await clinic.owner.api.numbers.buy.mutate({ phoneNumber: available!.phoneNumber, teamId: nursing.id });
    const other = await nurse.api.patients.create.mutate({ firstName: 'Olu', lastName: 'Ade', phone: nextPhone() });
    const { conversationId } = await nurse.api.conversations.startSms.mutate({ teamId: nursing.id, patientId: other.id });
    const nursed = await nurse.api.conversations.send.mutate({ conversationId, body: 'Nursing reminder' });
    await reaches(server, nursed.messageId, ['delivered']);

    const own = await csv(clinic.member.token, `/api/numbers/${clinic.number.id}/phone-log.csv`);
    expect(own.status).toBe(200);
    const ownLines = await lines(own);
    expect(ownLines).toHaveLength(2);
    expect(ownLines[1]).toContain(clinic.number.e164);

    const foreign = await csv(clinic.member.token, `/api/numbers/${nursingNumber.id}/phone-log.csv`);
    expect(foreign.status).toBe(403);
    expect(await foreign.text()).not.toContain(other.phone!);

    const mine = await lines(await csv(clinic.member.token, '/api/numbers/phone-log.csv'));
    expect(mine.slice(1).map((l) => l.split(',')[1])).toEqual([clinic.number.e164]);

    const all = await lines(await csv(clinic.admin.token, '/api/numbers/phone-log.csv'));
    expect(all.slice(1).map((l) => l.split(',')[1]).sort()).toEqual([clinic.number.e164, nursingNumber.e164].sort());
    expect((await csv(clinic.admin.token, `/api/numbers/${nursingNumber.id}/phone-log.csv`)).status).toBe(200);

    // Each export is audited; the list of numbers says who may export which.
    const exports = await clinic.owner.api.audit.list.query({ action: 'phonelog.exported' });
    expect(exports.events.length).toBe(4);
    const listed = await clinic.member.api.numbers.list.query();
    expect(listed.map((n) => [n.e164, n.isMine])).toEqual([
      [clinic.number.e164, true],
      [nursingNumber.e164, false],
    ]);
  });

  it("a released number's log stays with its owner and leaves out the next owner's messages", async () => {
    const a = await smsClinic(server, nextPhone(), 'Log A');
    const aSent = await a.member.api.conversations.send.mutate({ conversationId: a.conversationId, body: 'A message' });
    await reaches(server, aSent.messageId, ['delivered']);
    await a.owner.api.numbers.release.mutate({ numberId: a.number.id });
    const b = await smsOrgWithoutNumber('Log B');
    const bNumber = await b.owner.api.numbers.buy.mutate({ phoneNumber: a.number.e164, teamId: b.team.id });
    const patient = await b.member.api.patients.create.mutate({ firstName: 'Kai', phone: nextPhone() });
    const { conversationId } = await b.member.api.conversations.startSms.mutate({ teamId: b.team.id, patientId: patient.id });
    const bSent = await b.member.api.conversations.send.mutate({ conversationId, body: 'B message' });
    await reaches(server, bSent.messageId, ['delivered']);

    const aLog = await lines(await csv(a.member.token, `/api/numbers/${a.number.id}/phone-log.csv`));
    expect(aLog.slice(1).map((l) => l.split(',')[2])).toEqual([a.patient.phone]);
    const bLog = await lines(await csv(b.member.token, `/api/numbers/${bNumber.id}/phone-log.csv`));
    expect(bLog.slice(1).map((l) => l.split(',')[2])).toEqual([patient.phone]);
    expect((await csv(b.owner.token, `/api/numbers/${a.number.id}/phone-log.csv`)).status).toBe(404);
  });
});
