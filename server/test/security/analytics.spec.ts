import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, smsClinic, startTestServer, type TestServer } from '../harness.js';

/**
 * Analytics: who sees which counts. Signed out: nothing. Another org: its teams and numbers are
 * NOT_FOUND and its texts are never counted. A plain member: the teams they are on only (another
 * team of the same org is FORBIDDEN, and left out when no team is named). Admins and owners: the
 * whole org. Whatever the caller, the answer holds counts, never a patient or a text.
 */

let server: TestServer;
let a: Awaited<ReturnType<typeof smsClinic>>;
let b: Awaited<ReturnType<typeof smsClinic>>;
let otherTeamA: { id: string };
const RANGE = { firstDay: '2026-04-20', lastDay: '2026-04-23' };

beforeAll(async () => {
  server = await startTestServer();
  a = await smsClinic(server, '+14155550601', 'Analytics Sec A');
  b = await smsClinic(server, '+14155550602', 'Analytics Sec B');
  otherTeamA = await a.owner.api.teams.create.mutate({ name: 'Other Team A' });
  const p = server.db.prisma;
  const sent = (orgId: string, conversationId: string) =>
    p.message.create({ data: { orgId, conversationId, direction: 'outbound', channel: 'sms', body: 'Zsecret text for Amina', status: 'delivered', segments: 1, idempotencyKey: 'blast:x', createdAt: new Date('2026-04-21T15:00:00Z'), sentAt: new Date('2026-04-21T15:00:01Z') } });
  await sent(a.org.id, a.conversationId);
  await sent(b.org.id, b.conversationId);
  const patient = await p.patient.create({ data: { orgId: a.org.id, firstName: 'Olga', lastName: 'Other', phone: '+14155550603' } });
  const other = await p.conversation.create({ data: { orgId: a.org.id, teamId: otherTeamA.id, kind: 'sms', patientId: patient.id } });
  await sent(a.org.id, other.id);
});
afterAll(async () => {
  await server?.stop();
});

describe('analytics: access', () => {
  it('a signed-out caller gets nothing', async () => {
    expect((await errorOf(server.anon.analytics.blasts.query(RANGE))).code).toBe('UNAUTHORIZED');
    expect((await errorOf(server.anon.analytics.filters.query())).code).toBe('UNAUTHORIZED');
  });

  it("another org's teams and numbers are NOT_FOUND, and its texts are never counted", async () => {
    expect((await errorOf(b.owner.api.analytics.blasts.query({ ...RANGE, teamId: a.team.id }))).code).toBe('NOT_FOUND');
    expect((await errorOf(b.owner.api.analytics.blasts.query({ ...RANGE, phoneNumberId: a.number.id }))).code).toBe('NOT_FOUND');
    expect((await b.owner.api.analytics.blasts.query(RANGE)).totals.messages).toBe(1);
    const filters = JSON.stringify(await b.owner.api.analytics.filters.query());
    expect(filters).not.toContain(a.team.id);
    expect(filters).not.toContain(a.number.id);
  });

  it('a plain member sees only the teams they are on', async () => {
    expect((await a.member.api.analytics.blasts.query(RANGE)).totals.messages).toBe(1);
    expect((await errorOf(a.member.api.analytics.blasts.query({ ...RANGE, teamId: otherTeamA.id }))).code).toBe('FORBIDDEN');
    expect(JSON.stringify(await a.member.api.analytics.filters.query())).not.toContain(otherTeamA.id);
  });

  it('admins see the whole org, as counts only', async () => {
    const result = await a.admin.api.analytics.blasts.query(RANGE);
    expect(result.totals.messages).toBe(2);
    const json = JSON.stringify(result);
    for (const phi of ['Zsecret', 'Amina', 'Olga', '+1415555060', a.patient.id, a.conversationId]) expect(json).not.toContain(phi);
  });

  it("stored days (analytics rollups) hold every team's figures, yet each caller reads only their own scope", async () => {
    // An admin's query stores the org's days for all teams; a member's and another org's reads of the same days stay scoped.
    expect((await a.admin.api.analytics.blasts.query(RANGE)).totals.messages).toBe(2);
    expect(await server.db.prisma.analyticsDayFigures.count({ where: { orgId: a.org.id } })).toBe(2);
    expect((await a.member.api.analytics.blasts.query(RANGE)).totals.messages).toBe(1);
    expect((await a.member.api.analytics.blasts.query({ ...RANGE, phoneNumberId: a.number.id })).totals.messages).toBe(1);
    expect((await b.owner.api.analytics.blasts.query(RANGE)).totals.messages).toBe(1);
    const outsider = await smsClinic(server, '+14155550604', 'Analytics Sec C');
    expect((await outsider.owner.api.analytics.blasts.query(RANGE)).totals.messages).toBe(0);
  });
});
