import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, joinAs, smsClinic, startTestServer, type TestServer } from '../harness.js';
import { trpcFetch, webCookie } from './http-helpers.js';

/**
 * Blasts: who may do what. Signed out: nothing. Preview and send: members of the team that owns
 * the number (an org admin not on the team is FORBIDDEN). Reading a blast: members of its team.
 * Another org: its teams, cohorts and blasts are NOT_FOUND, its patients never receive anything.
 * An idempotency key is per person: someone else's key never returns their blast.
 */

let server: TestServer;
let a: Awaited<ReturnType<typeof smsClinic>>;
let b: Awaited<ReturnType<typeof smsClinic>>;
let cohortA: string;
let cohortB: string;
let blastA: string;

beforeAll(async () => {
  server = await startTestServer();
  a = await smsClinic(server, '+14155550501', 'Blast Sec A');
  b = await smsClinic(server, '+14155550502', 'Blast Sec B');
  // Both patients (smsClinic's) match an empty filter; B's patient must never be reached from A.
  cohortA = (await a.owner.api.cohorts.create.mutate({ name: 'Everyone A', filter: {} })).id;
  cohortB = (await b.owner.api.cohorts.create.mutate({ name: 'Everyone B', filter: {} })).id;
  blastA = (await a.member.api.blasts.send.mutate({ teamId: a.team.id, cohortIds: [cohortA], body: 'Hello {{first_name}}', marketing: false, idempotencyKey: 'sec-key-a-0001' })).blast.id;
});
afterAll(async () => {
  await server?.stop();
});

/** Blast ids and recipients (a blast's status moves on by itself as its messages are delivered). */
const blastRows = async () => [(await server.db.prisma.blast.findMany({ select: { id: true }, orderBy: { id: 'asc' } })).map((r) => r.id), await server.db.prisma.blastRecipient.count()];
const messageCount = () => server.db.prisma.message.count();

describe('blasts: access', () => {
  it('a signed-out caller can do nothing', async () => {
    const anon = server.anon.blasts;
    for (const call of [
      () => anon.preview.query({ teamId: a.team.id, cohortIds: [cohortA], marketing: false }),
      () => anon.send.mutate({ teamId: a.team.id, cohortIds: [cohortA], body: 'x', marketing: false, idempotencyKey: 'anon-key-0001' }),
      () => anon.list.query(),
      () => anon.get.query({ blastId: blastA }),
      () => anon.recipients.query({ blastId: blastA }),
      () => anon.cancel.mutate({ blastId: blastA }),
    ]) {
      expect((await errorOf(call())).code).toBe('UNAUTHORIZED');
    }
  });

  it("another org's cohort ids are NOT_FOUND for preview and send, alone or mixed with one's own; nothing is written", async () => {
    const before = [await blastRows(), await messageCount()];
    const api = a.member.api.blasts;
    expect((await errorOf(api.preview.query({ teamId: a.team.id, cohortIds: [cohortB], marketing: false }))).code).toBe('NOT_FOUND');
    expect((await errorOf(api.preview.query({ teamId: a.team.id, cohortIds: [cohortA, cohortB], marketing: false }))).code).toBe('NOT_FOUND');
    expect((await errorOf(api.send.mutate({ teamId: a.team.id, cohortIds: [cohortA, cohortB], body: 'x', marketing: false, idempotencyKey: 'sec-key-a-0002' }))).code).toBe('NOT_FOUND');
    // Another org's team (its number) is NOT_FOUND too.
    expect((await errorOf(api.send.mutate({ teamId: b.team.id, cohortIds: [cohortA], body: 'x', marketing: false, idempotencyKey: 'sec-key-a-0003' }))).code).toBe('NOT_FOUND');
    expect([await blastRows(), await messageCount()]).toEqual(before);
  });

  it("another org's patients are never recipients, even with a filter that matches them", async () => {
    const recipients = await server.db.prisma.blastRecipient.findMany({ where: { blastId: blastA } });
    expect(recipients.map((r) => r.patientId)).toEqual([a.patient.id]);
  });

  it('an org admin who is not on the team cannot preview, send, or read the team\'s blasts', async () => {
    const before = [await blastRows(), await messageCount()];
    const api = a.admin.api.blasts;
    expect((await errorOf(api.preview.query({ teamId: a.team.id, cohortIds: [cohortA], marketing: false }))).code).toBe('FORBIDDEN');
    expect((await errorOf(api.send.mutate({ teamId: a.team.id, cohortIds: [cohortA], body: 'x', marketing: false, idempotencyKey: 'sec-key-a-0004' }))).code).toBe('FORBIDDEN');
    expect((await errorOf(api.get.query({ blastId: blastA }))).code).toBe('FORBIDDEN');
    expect((await errorOf(api.recipients.query({ blastId: blastA }))).code).toBe('FORBIDDEN');
    expect((await errorOf(api.cancel.mutate({ blastId: blastA }))).code).toBe('FORBIDDEN');
    expect(await api.list.query()).toEqual([]);
    expect([await blastRows(), await messageCount()]).toEqual(before);
  });

  it("another org's members get NOT_FOUND for a blast and never see it listed", async () => {
    expect((await errorOf(b.owner.api.blasts.get.query({ blastId: blastA }))).code).toBe('NOT_FOUND');
    expect((await errorOf(b.member.api.blasts.recipients.query({ blastId: blastA }))).code).toBe('NOT_FOUND');
    expect((await errorOf(b.owner.api.blasts.cancel.mutate({ blastId: blastA }))).code).toBe('NOT_FOUND');
    expect(await b.member.api.blasts.list.query()).toEqual([]);
  });

  it("a scheduled blast can be canceled only by its team: not by another org, an admin off the team, or another team's member", async () => {
    const { blast } = await a.member.api.blasts.send.mutate({ teamId: a.team.id, cohortIds: [cohortA], body: 'Later', marketing: false, idempotencyKey: 'sec-key-sched-1', scheduledAt: '2026-05-01T09:00' });
    const otherTeam = await a.owner.api.teams.create.mutate({ name: 'Billing' });
    const billing = await joinAs(server, a.owner, 'member', 'Billing Clerk');
    await a.owner.api.teams.addMember.mutate({ teamId: otherTeam.id, userId: (await billing.api.auth.me.query())!.user.id });
    expect((await errorOf(billing.api.blasts.cancel.mutate({ blastId: blast.id }))).code).toBe('FORBIDDEN');
    expect((await errorOf(a.admin.api.blasts.cancel.mutate({ blastId: blast.id }))).code).toBe('FORBIDDEN');
    expect((await errorOf(b.owner.api.blasts.cancel.mutate({ blastId: blast.id }))).code).toBe('NOT_FOUND');
    expect((await errorOf(server.anon.blasts.cancel.mutate({ blastId: blast.id }))).code).toBe('UNAUTHORIZED');
    const row = await server.db.prisma.blast.findUniqueOrThrow({ where: { id: blast.id } });
    expect(row).toMatchObject({ status: 'scheduled', canceledAt: null });
    expect(await server.db.prisma.auditEvent.count({ where: { action: 'blast.canceled', targetId: blast.id } })).toBe(0);
    // Its own team may.
    expect(await a.owner.api.blasts.cancel.mutate({ blastId: blast.id })).toMatchObject({ canceled: 1, blast: { status: 'canceled' } });
  });

  it("Send Test to Me: only the number's team, only to one's own phone, never another org's patient as the sample", async () => {
    await a.admin.api.account.setPhone.mutate({ phone: '+14155550588' });
    await b.owner.api.account.setPhone.mutate({ phone: '+14155550589' });
    await a.member.api.account.setPhone.mutate({ phone: '+14155550590' });
    const body = 'Hi {{first_name}}';
    expect((await errorOf(a.admin.api.blasts.sendTest.mutate({ teamId: a.team.id, cohortIds: [cohortA], marketing: false, body }))).code).toBe('FORBIDDEN');
    expect((await errorOf(b.owner.api.blasts.sendTest.mutate({ teamId: a.team.id, cohortIds: [cohortA], marketing: false, body }))).code).toBe('NOT_FOUND');
    expect((await errorOf(a.member.api.blasts.sendTest.mutate({ teamId: a.team.id, cohortIds: [cohortB], marketing: false, body }))).code).toBe('NOT_FOUND');
    expect((await errorOf(a.member.api.blasts.sendTest.mutate({ teamId: a.team.id, cohortIds: [cohortA], marketing: false, body, patientId: b.patient.id }))).code).toBe('NOT_FOUND');
    expect((await errorOf(server.anon.blasts.sendTest.mutate({ teamId: a.team.id, cohortIds: [cohortA], marketing: false, body }))).code).toBe('UNAUTHORIZED');
    expect((await errorOf(server.anon.account.setPhone.mutate({ phone: '+14155550591' }))).code).toBe('UNAUTHORIZED');
    expect((await errorOf(server.anon.account.get.query())).code).toBe('UNAUTHORIZED');
    const toTests = () => server.simulator!.messages().filter((m) => ['+14155550588', '+14155550589'].includes(m.to));
    expect(toTests()).toEqual([]);
    // The member's own test: rendered for A's patient, to the member's phone.
    expect(await a.member.api.blasts.sendTest.mutate({ teamId: a.team.id, cohortIds: [cohortA], marketing: false, body })).toMatchObject({ to: '+14155550590', body: 'Hi Amina' });
  });

  it("someone else's idempotency key starts their own blast and never returns the other's", async () => {
    const mine = await a.owner.api.blasts.send.mutate({ teamId: a.team.id, cohortIds: [cohortA], body: 'From the owner', marketing: false, idempotencyKey: 'sec-key-a-0001' });
    expect(mine.duplicate).toBe(false);
    expect(mine.blast.id).not.toBe(blastA);
    expect(mine.blast.body).toBe('From the owner');
  });

  it('a hostile web page cannot send a blast with a member\'s cookie', async () => {
    const cookie = await webCookie(server, a.member.email);
    const before = [await blastRows(), await messageCount()];
    const forged = await trpcFetch(server, 'blasts.send', {
      headers: { origin: 'https://evil.example', cookie, 'content-type': 'text/plain' },
      body: JSON.stringify({ json: { teamId: a.team.id, cohortIds: [cohortA], body: 'Evil', marketing: false, idempotencyKey: 'evil-key-0001' } }),
    });
    expect(forged.status).toBe(403);
    const read = await trpcFetch(server, 'blasts.recipients', { method: 'GET', headers: { origin: 'https://evil.example', cookie }, input: { blastId: blastA } });
    expect(read.headers.get('access-control-allow-origin')).toBeNull();
    expect([await blastRows(), await messageCount()]).toEqual(before);
  });

  it('sending and viewing recipients are audited with the actor', async () => {
    await a.member.api.blasts.recipients.query({ blastId: blastA });
    const audit = await server.db.prisma.auditEvent.findMany({ where: { orgId: a.org.id, action: { startsWith: 'blast.' } } });
    expect(audit.map((e) => e.action)).toEqual(expect.arrayContaining(['blast.sent', 'blast.recipients_viewed']));
    expect(audit.every((e) => e.actorId)).toBe(true);
  });
});

describe('blasts: Retry Failed and Add Recipients', () => {
  it('a signed-out caller can do neither', async () => {
    expect((await errorOf(server.anon.blasts.retryFailed.mutate({ blastId: blastA }))).code).toBe('UNAUTHORIZED');
    expect((await errorOf(server.anon.blasts.addRecipients.mutate({ blastId: blastA, patientIds: [a.patient.id] }))).code).toBe('UNAUTHORIZED');
  });

  it("another org's members get NOT_FOUND and change nothing", async () => {
    const before = [await blastRows(), await messageCount()];
    expect((await errorOf(b.owner.api.blasts.retryFailed.mutate({ blastId: blastA }))).code).toBe('NOT_FOUND');
    expect((await errorOf(b.owner.api.blasts.addRecipients.mutate({ blastId: blastA, patientIds: [b.patient.id] }))).code).toBe('NOT_FOUND');
    expect([await blastRows(), await messageCount()]).toEqual(before);
  });

  it('a member of another team of the org (an admin, too) is FORBIDDEN', async () => {
    const other = await a.owner.api.teams.create.mutate({ name: 'Back Office' });
    await a.owner.api.teams.addMember.mutate({ teamId: other.id, userId: (await a.admin.api.auth.me.query())!.user.id });
    const before = [await blastRows(), await messageCount()];
    expect((await errorOf(a.admin.api.blasts.retryFailed.mutate({ blastId: blastA }))).code).toBe('FORBIDDEN');
    expect((await errorOf(a.admin.api.blasts.addRecipients.mutate({ blastId: blastA, patientIds: [a.patient.id] }))).code).toBe('FORBIDDEN');
    expect([await blastRows(), await messageCount()]).toEqual(before);
  });

  it("a member of the team cannot add another org's patient to their blast: NOT_FOUND, nobody added", async () => {
    const before = [await blastRows(), await messageCount()];
    expect((await errorOf(a.member.api.blasts.addRecipients.mutate({ blastId: blastA, patientIds: [b.patient.id] }))).code).toBe('NOT_FOUND');
    expect([await blastRows(), await messageCount()]).toEqual(before);
  });

  it('a plain member of the team may retry and add; both are audited with the actor', async () => {
    expect(await a.member.api.blasts.retryFailed.mutate({ blastId: blastA })).toEqual({ retried: 0, notRetried: 0 });
    expect(await a.member.api.blasts.addRecipients.mutate({ blastId: blastA, patientIds: [a.patient.id] })).toMatchObject({ added: 0, alreadyIncluded: [a.patient.id] });
    const audit = await server.db.prisma.auditEvent.findMany({ where: { orgId: a.org.id, action: { in: ['blast.retried', 'blast.recipients_added'] } } });
    expect(audit.map((e) => e.action).sort()).toEqual(['blast.recipients_added', 'blast.retried']);
    expect(audit.every((e) => e.actorId)).toBe(true);
  });
});

describe('blasts to selected patients (Bulk Text, ?patients=)', () => {
  const body = 'Hi {{first_name}}';
  const toB = (phone: string) => server.simulator!.messages().filter((m) => m.to === phone && m.direction === 'outbound-api');

  it('a signed-out caller can neither preview, send, test nor read names', async () => {
    const anon = server.anon.blasts;
    for (const call of [
      () => anon.preview.query({ teamId: a.team.id, patientIds: [a.patient.id], marketing: false }),
      () => anon.send.mutate({ teamId: a.team.id, patientIds: [a.patient.id], body, marketing: false, idempotencyKey: 'anon-sel-0001' }),
      () => anon.sendTest.mutate({ teamId: a.team.id, patientIds: [a.patient.id], body, marketing: false }),
      () => anon.selection.query({ patientIds: [a.patient.id] }),
    ]) {
      expect((await errorOf(call())).code).toBe('UNAUTHORIZED');
    }
  });

  it("another org's patient ids are counted as not found, never named, never sent to; alone they send nothing", async () => {
    const before = [await blastRows(), await messageCount()];
    const api = a.member.api.blasts;
    expect(await api.preview.query({ teamId: a.team.id, patientIds: [b.patient.id], marketing: false })).toMatchObject({ total: 0, willSend: 0, notFound: 1 });
    expect(await api.selection.query({ patientIds: [b.patient.id] })).toEqual({ found: 0, notFound: 1, patients: [] });
    expect((await errorOf(api.send.mutate({ teamId: a.team.id, patientIds: [b.patient.id], body, marketing: false, idempotencyKey: 'sec-sel-0001' }))).code).toBe('NOT_FOUND');
    expect((await errorOf(api.sendTest.mutate({ teamId: a.team.id, patientIds: [b.patient.id], body, marketing: false }))).code).toBe('NOT_FOUND');
    // A's patient as the selection, B's as the sample: refused.
    expect((await errorOf(api.sendTest.mutate({ teamId: a.team.id, patientIds: [a.patient.id], body, marketing: false, patientId: b.patient.id }))).code).toBe('NOT_FOUND');
    expect([await blastRows(), await messageCount()]).toEqual(before);

    // Mixed with A's own: only A's patient is a recipient; the blast does not keep B's id.
    const { blast } = await api.send.mutate({ teamId: a.team.id, patientIds: [b.patient.id, a.patient.id], body, marketing: false, idempotencyKey: 'sec-sel-0002' });
    const row = await server.db.prisma.blast.findUniqueOrThrow({ where: { id: blast.id }, include: { recipients: true } });
    expect(row.recipients.map((r) => r.patientId)).toEqual([a.patient.id]);
    expect(row.patientIds).toEqual([a.patient.id]);
    // B's members cannot send to B's patients from A's team either (A's team is NOT_FOUND to them).
    expect((await errorOf(b.owner.api.blasts.send.mutate({ teamId: a.team.id, patientIds: [b.patient.id], body, marketing: false, idempotencyKey: 'sec-sel-0003' }))).code).toBe('NOT_FOUND');
    await server.simulator!.settle();
    expect(toB(b.patient.phone!)).toEqual([]);
  });

  it("a member who is not on the number's team (an org admin) cannot preview, send or test to selected patients", async () => {
    const before = [await blastRows(), await messageCount()];
    const api = a.admin.api.blasts;
    expect((await errorOf(api.preview.query({ teamId: a.team.id, patientIds: [a.patient.id], marketing: false }))).code).toBe('FORBIDDEN');
    expect((await errorOf(api.send.mutate({ teamId: a.team.id, patientIds: [a.patient.id], body, marketing: false, idempotencyKey: 'sec-sel-0004' }))).code).toBe('FORBIDDEN');
    expect((await errorOf(api.sendTest.mutate({ teamId: a.team.id, patientIds: [a.patient.id], body, marketing: false }))).code).toBe('FORBIDDEN');
    expect([await blastRows(), await messageCount()]).toEqual(before);
  });

  it('a hostile web page cannot send a Bulk Text with a member\'s cookie', async () => {
    const cookie = await webCookie(server, a.member.email);
    const before = [await blastRows(), await messageCount()];
    const forged = await trpcFetch(server, 'blasts.send', {
      headers: { origin: 'https://evil.example', cookie, 'content-type': 'text/plain' },
      body: JSON.stringify({ json: { teamId: a.team.id, patientIds: [a.patient.id], body: 'Evil', marketing: false, idempotencyKey: 'evil-sel-0001' } }),
    });
    expect(forged.status).toBe(403);
    expect([await blastRows(), await messageCount()]).toEqual(before);
  });
});
