import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blastDaysSql, type DayRow, period } from '../src/analytics/analytics.service.js';
import { Housekeeping } from '../src/jobs/housekeeping.js';
import { type ApiClient, smsClinic, startTestServer, TEST_DB, type TestServer, waitFor } from './harness.js';

/**
 * Analytics → Blasts reads per-day rollups (analytics-rollup.ts). After every kind of write
 * that moves the figures (texts sent through the API and the carrier, a late failure callback,
 * a patient's reply weeks later, a deleted message, a number moved to another team, the org's
 * time zone changed, texts on either side of local midnight), the dashboard's answer must equal
 * computing it from Message (blastDaysSql), for the whole org and for each team and number.
 */

let server: TestServer;
let clinic: Awaited<ReturnType<typeof smsClinic>>;
let billing: { team: { id: string }; number: { id: string } };
const JANUARY = { firstDay: '2026-01-13', lastDay: '2026-01-17' };

/** The dashboard's answer for `range` under every filter equals the raw computation. */
async function expectExact(api: ApiClient, range: { firstDay: string; lastDay: string }) {
  const p = server.db.prisma;
  const org = await p.org.findUniqueOrThrow({ where: { id: clinic.org.id } });
  const teams = (await p.team.findMany({ where: { orgId: org.id }, select: { id: true } })).map((t) => t.id);
  const numbers = (await p.phoneNumber.findMany({ where: { orgId: org.id }, select: { id: true } })).map((n) => n.id);
  const filters: { teamId?: string; phoneNumberId?: string }[] = [{}, ...teams.map((teamId) => ({ teamId })), ...numbers.map((phoneNumberId) => ({ phoneNumberId }))];
  const { start, end } = period(range.firstDay, range.lastDay, org.timeZone);
  for (const filter of filters) {
    const answer = await api.analytics.blasts.query({ ...range, ...filter });
    const raw = await p.$queryRaw<DayRow[]>(blastDaysSql({ orgId: org.id, timeZone: org.timeZone, start, end, teamIds: filter.teamId ? [filter.teamId] : teams, phoneNumberId: filter.phoneNumberId }));
    const byDate = new Map(raw.map((r) => [r.date, r]));
    const expected = answer.days.map((d) => ({ date: d.date, blast: 0, oneToOne: 0, segments: 0, mms: 0, blastReplied: 0, ...byDate.get(d.date) }));
    expect(answer.days.map(({ spendCents: _, ...d }) => d), `${JSON.stringify(filter)} in ${org.timeZone}`).toEqual(expected);
  }
}

const dayOf = async (range: { firstDay: string; lastDay: string }, date: string, filter: { teamId?: string; phoneNumberId?: string } = {}) =>
  (await clinic.owner.api.analytics.blasts.query({ ...range, ...filter })).days.find((d) => d.date === date)!;

const localDate = (at: Date, timeZone: string) => new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);

beforeAll(async () => {
  server = await startTestServer();
  clinic = await smsClinic(server, '+14155550600', 'Rollup Clinic');
  const team = await clinic.owner.api.teams.create.mutate({ name: 'Billing' });
  const [available] = await clinic.owner.api.numbers.search.query({ areaCode: '415' });
  billing = { team, number: await clinic.owner.api.numbers.buy.mutate({ phoneNumber: available!.phoneNumber, teamId: team.id }) };
});
afterAll(async () => {
  await server?.stop();
});

describe('analytics rollups', () => {
  let blastOnJan15: string;

  it("stay equal to the raw computation across the org's local midnight, and a day is not recomputed while nothing changed", async () => {
    const p = server.db.prisma;
    const orgId = clinic.org.id;
    const other = await p.conversation.create({
      data: { orgId, teamId: billing.team.id, kind: 'sms', phoneNumberId: billing.number.id, patientId: (await p.patient.create({ data: { orgId, firstName: 'Bo', phone: '+14155550611', phoneLineType: 'mobile' } })).id },
    });
    const text = (conversationId: string, m: { key?: string; channel?: string; status?: string; segments?: number; createdAt: string; sentAt?: string }) =>
      p.message.create({
        data: { orgId, conversationId, direction: 'outbound', channel: m.channel ?? 'sms', body: 'x', status: m.status ?? 'delivered', idempotencyKey: m.key ?? null, segments: m.segments ?? 1, createdAt: new Date(m.createdAt), sentAt: new Date(m.sentAt ?? m.createdAt) },
      });
    // Chicago midnight of Jan 15 is 06:00Z; Kolkata's (UTC+5:30) of Jan 15 is Jan 14 18:30Z.
    blastOnJan15 = (await text(clinic.conversationId, { key: 'blast:old', segments: 2, createdAt: '2026-01-15T06:00:00Z' })).id;
    await text(clinic.conversationId, { key: 'blast:old', createdAt: '2026-01-15T05:59:59Z' });
    await text(other.id, { key: 'blast:old', createdAt: '2026-01-14T18:29:59Z' });
    await text(other.id, { channel: 'mms', segments: 0, status: 'undelivered', createdAt: '2026-01-14T18:30:00Z' });
    await text(other.id, { status: 'failed', createdAt: '2026-01-16T12:00:00Z' });
    await text(other.id, { createdAt: '2026-01-16T12:00:00Z' });

    await expectExact(clinic.owner.api, JANUARY);
    expect(await dayOf(JANUARY, '2026-01-15')).toMatchObject({ blast: 1, segments: 2 });
    expect(await dayOf(JANUARY, '2026-01-14')).toMatchObject({ blast: 2, mms: 1 });
    // Nothing written since: the stored days are read as they are.
    const stamps = await p.analyticsDay.findMany({ where: { orgId }, orderBy: { day: 'asc' } });
    expect(stamps.map((d) => d.day.toISOString().slice(0, 10))).toEqual(['2026-01-13', '2026-01-14', '2026-01-15', '2026-01-16', '2026-01-17']);
    await clinic.owner.api.analytics.blasts.query(JANUARY);
    expect(await p.analyticsDay.findMany({ where: { orgId }, orderBy: { day: 'asc' } })).toEqual(stamps);
  });

  it("count a patient's reply weeks later on the blast message's day, and a deleted message", async () => {
    const before = await dayOf(JANUARY, '2026-01-15');
    expect(before.blastReplied).toBe(0);
    // The real inbound path (signed webhook -> inbound service), months after the blast.
    await server.simulator!.simulateInbound({ from: clinic.patient.phone!, to: clinic.number.e164, body: 'Thanks!' });
    await waitFor(() => server.db.prisma.message.findFirst({ where: { conversationId: clinic.conversationId, direction: 'inbound' } }));
    expect(await dayOf(JANUARY, '2026-01-15')).toMatchObject({ blast: 1, blastReplied: 1 });
    // Jan 14's blast message in the same conversation was answered too (the reply is later than both).
    expect((await dayOf(JANUARY, '2026-01-14', { teamId: clinic.team.id })).blastReplied).toBe(1);
    await expectExact(clinic.owner.api, JANUARY);

    await server.db.prisma.message.delete({ where: { id: blastOnJan15 } });
    expect(await dayOf(JANUARY, '2026-01-15')).toMatchObject({ blast: 0, segments: 0, blastReplied: 0 });
    await expectExact(clinic.owner.api, JANUARY);
  });

  it('follow texts sent through the API and the carrier, and a late failure callback', async () => {
    const sent = await clinic.member.api.conversations.send.mutate({ conversationId: clinic.conversationId, body: 'Your results are ready.', idempotencyKey: 'rollup-1' });
    const { messageId } = sent;
    const message = await waitFor(async () => {
      await server.simulator!.settle();
      const m = await server.db.prisma.message.findUnique({ where: { id: messageId } });
      return m?.status === 'delivered' ? m : null;
    });
    const today = localDate(message.sentAt!, 'America/Chicago');
    const range = { firstDay: today, lastDay: today };
    expect((await dayOf(range, today)).oneToOne).toBe(1);
    await expectExact(clinic.owner.api, range);
    // The delivered callback went missing and the carrier says "failed" late (sent -> failed).
    await server.db.prisma.message.update({ where: { id: messageId }, data: { status: 'sent', statusRank: 2 } });
    expect((await dayOf(range, today)).oneToOne).toBe(1);
    await server.simulator!.sendStatusCallback(message.carrierSid!, 'failed', 30008);
    await waitFor(async () => ((await server.db.prisma.message.findUnique({ where: { id: messageId } }))?.status === 'failed' ? true : null));
    expect((await dayOf(range, today)).oneToOne).toBe(0);
    await expectExact(clinic.owner.api, range);
  });

  it("follow a number moved to another team, and the org's time zone changed (and back)", async () => {
    expect((await dayOf(JANUARY, '2026-01-14', { teamId: billing.team.id })).blast).toBe(1);
    await clinic.owner.api.numbers.update.mutate({ numberId: billing.number.id, teamId: clinic.team.id });
    expect((await dayOf(JANUARY, '2026-01-14', { teamId: billing.team.id })).blast).toBe(0);
    await expectExact(clinic.owner.api, JANUARY);

    await server.db.prisma.org.update({ where: { id: clinic.org.id }, data: { timeZone: 'Asia/Kolkata' } });
    const kolkata = await clinic.owner.api.analytics.blasts.query(JANUARY);
    expect(kolkata.timeZone).toBe('Asia/Kolkata');
    // 18:29:59Z is Jan 14 23:59:59 there and 18:30Z Jan 15 00:00; 05:59:59Z (Jan 14 in Chicago) is Jan 15.
    expect(kolkata.days.find((d) => d.date === '2026-01-14')).toMatchObject({ blast: 1, mms: 0 });
    expect(kolkata.days.find((d) => d.date === '2026-01-15')).toMatchObject({ blast: 1, mms: 1 });
    await expectExact(clinic.owner.api, JANUARY);
    await server.db.prisma.org.update({ where: { id: clinic.org.id }, data: { timeZone: 'America/Chicago' } });
    await expectExact(clinic.owner.api, JANUARY);
    expect(await server.db.prisma.analyticsDay.count({ where: { orgId: clinic.org.id, timeZone: { not: 'America/Chicago' } } })).toBe(0);
  });

  it('housekeeping consumes the change rows of an org nobody looks at; the days they touched are recomputed when viewed', async () => {
    const p = server.db.prisma;
    const orgId = clinic.org.id;
    await clinic.owner.api.analytics.blasts.query(JANUARY);
    const conversationId = clinic.conversationId;
    await p.message.create({ data: { orgId, conversationId, direction: 'outbound', channel: 'sms', body: 'x', status: 'sent', segments: 1, createdAt: new Date('2026-01-16T18:00:00Z'), sentAt: new Date('2026-01-16T18:00:00Z') } });
    expect(await p.analyticsChange.count({ where: { orgId } })).toBeGreaterThan(0);
    expect((await server.app.get(Housekeeping).sweep()).AnalyticsChange).toBeGreaterThan(0);
    expect(await p.analyticsChange.count({ where: { orgId } })).toBe(0);
    expect((await p.analyticsDay.findMany({ where: { orgId } })).map((d) => d.day.toISOString().slice(0, 10))).not.toContain('2026-01-16');
    await expectExact(clinic.owner.api, JANUARY);
  });
});

/**
 * A patient's reply is not a dropped day: the refresh adds the blast messages it answers to the
 * stored days (analytics-rollup.ts). Each case checks the stored days were kept (not
 * recomputed) where they should be, and the answer against the raw computation.
 */
describe("analytics rollups: a patient's reply", () => {
  const FEBRUARY = { firstDay: '2026-02-02', lastDay: '2026-02-08' };
  let patients = 0;

  /** A new SMS conversation of the clinic's team and number. */
  async function conversation() {
    const p = server.db.prisma;
    const orgId = clinic.org.id;
    const patient = await p.patient.create({ data: { orgId, firstName: 'Reply', lastName: String(++patients), phone: `+1415555${String(700 + patients).padStart(4, '0')}`, phoneLineType: 'mobile' } });
    return (await p.conversation.create({ data: { orgId, teamId: clinic.team.id, kind: 'sms', phoneNumberId: clinic.number.id, patientId: patient.id } })).id;
  }
  const blast = (conversationId: string, at: string) =>
    server.db.prisma.message.create({
      data: { orgId: clinic.org.id, conversationId, direction: 'outbound', channel: 'sms', body: 'x', status: 'delivered', idempotencyKey: 'blast:feb', segments: 1, createdAt: new Date(at), sentAt: new Date(at) },
    });
  const reply = (conversationId: string, at: string) =>
    server.db.prisma.message.create({ data: { orgId: clinic.org.id, conversationId, direction: 'inbound', channel: 'sms', body: 'Yes', status: 'received', createdAt: new Date(at) } });
  /** When each stored day of the org was computed. */
  const computedAt = async () => new Map((await server.db.prisma.analyticsDay.findMany({ where: { orgId: clinic.org.id } })).map((d) => [d.day.toISOString().slice(0, 10), d.computedAt.getTime()]));
  const replied = async (date: string) => (await dayOf(FEBRUARY, date)).blastReplied;

  it('is added to the stored older days of the blast messages it answers, which are not recomputed', async () => {
    const conversationId = await conversation();
    await blast(conversationId, '2026-02-03T15:00:00Z');
    await blast(conversationId, '2026-02-05T15:00:00Z');
    await expectExact(clinic.owner.api, FEBRUARY);
    const [feb3, feb5] = [await replied('2026-02-03'), await replied('2026-02-05')];
    const stored = await computedAt();

    await reply(conversationId, '2026-11-30T15:00:00Z');
    expect([await replied('2026-02-03'), await replied('2026-02-05')]).toEqual([feb3 + 1, feb5 + 1]);
    const after = await computedAt();
    expect([after.get('2026-02-03'), after.get('2026-02-05')]).toEqual([stored.get('2026-02-03'), stored.get('2026-02-05')]);
    await expectExact(clinic.owner.api, FEBRUARY);
  });

  it('two replies in a row: the second adds only the blast messages sent since the first; two replies in one refresh add once', async () => {
    const conversationId = await conversation();
    await blast(conversationId, '2026-02-03T16:00:00Z');
    await blast(conversationId, '2026-02-05T16:00:00Z');
    await expectExact(clinic.owner.api, FEBRUARY);
    const [feb3, feb5] = [await replied('2026-02-03'), await replied('2026-02-05')];

    await reply(conversationId, '2026-02-04T12:00:00Z');
    expect([await replied('2026-02-03'), await replied('2026-02-05')]).toEqual([feb3 + 1, feb5]);
    await reply(conversationId, '2026-02-07T12:00:00Z');
    expect([await replied('2026-02-03'), await replied('2026-02-05')]).toEqual([feb3 + 1, feb5 + 1]);
    // Everything is answered already: two more replies, consumed by one refresh, add nothing.
    await reply(conversationId, '2026-02-08T12:00:00Z');
    await reply(conversationId, '2026-02-08T13:00:00Z');
    expect([await replied('2026-02-03'), await replied('2026-02-05')]).toEqual([feb3 + 1, feb5 + 1]);
    await expectExact(clinic.owner.api, FEBRUARY);

    // A new conversation answered twice before anyone looks: its blast message counts once.
    const other = await conversation();
    await blast(other, '2026-02-06T16:00:00Z');
    const feb6 = await replied('2026-02-06');
    await reply(other, '2026-02-07T09:00:00Z');
    await reply(other, '2026-02-07T10:00:00Z');
    expect(await replied('2026-02-06')).toBe(feb6 + 1);
    await expectExact(clinic.owner.api, FEBRUARY);
  });

  it('then the answered message failed or deleted, or the reply deleted, before or after the refresh', async () => {
    const p = server.db.prisma;
    const [failedBefore, deletedAfter, replyDeleted] = [await conversation(), await conversation(), await conversation()];
    const b1 = await blast(failedBefore, '2026-02-06T17:00:00Z');
    const b2 = await blast(deletedAfter, '2026-02-06T18:00:00Z');
    await blast(replyDeleted, '2026-02-06T19:00:00Z');
    await expectExact(clinic.owner.api, FEBRUARY);
    const feb6 = await replied('2026-02-06');

    // The carrier says failed after the reply came, and before anyone looked.
    await reply(failedBefore, '2026-11-30T16:00:00Z');
    await p.message.update({ where: { id: b1.id }, data: { status: 'failed' } });
    expect(await replied('2026-02-06')).toBe(feb6);
    await expectExact(clinic.owner.api, FEBRUARY);

    await reply(deletedAfter, '2026-11-30T16:00:00Z');
    expect(await replied('2026-02-06')).toBe(feb6 + 1);
    await p.message.delete({ where: { id: b2.id } });
    expect(await replied('2026-02-06')).toBe(feb6);
    await expectExact(clinic.owner.api, FEBRUARY);

    const gone = await reply(replyDeleted, '2026-11-30T16:00:00Z');
    await p.message.delete({ where: { id: gone.id } });
    expect(await replied('2026-02-06')).toBe(feb6);
    await expectExact(clinic.owner.api, FEBRUARY);
  });

  it('adds nothing to a day not stored: that day is computed from Message when viewed', async () => {
    const conversationId = await conversation();
    await blast(conversationId, '2026-02-20T15:00:00Z');
    await expectExact(clinic.owner.api, FEBRUARY);
    expect((await computedAt()).has('2026-02-20')).toBe(false);
    await reply(conversationId, '2026-11-30T17:00:00Z');
    await expectExact(clinic.owner.api, FEBRUARY);
    expect((await computedAt()).has('2026-02-20')).toBe(false);
    const range = { firstDay: '2026-02-19', lastDay: '2026-02-21' };
    expect((await dayOf(range, '2026-02-20')).blastReplied).toBe(1);
    await expectExact(clinic.owner.api, range);
  });

  // Deterministic interleaving: a transaction holds a day the refresh is about to recompute (an
  // uncommitted AnalyticsDay row), so the refresh waits after claiming its changes; a reply
  // answering a blast message of that day commits meanwhile. The recompute must not count it
  // (it is added from its change row by the next refresh): in READ COMMITTED it would be counted
  // twice.
  it.runIf(TEST_DB === 'postgres')('committed while a refresh is between claiming its changes and recomputing a day: counted once', async () => {
    const p = server.db.prisma;
    const orgId = clinic.org.id;
    const conversationId = await conversation();
    await blast(conversationId, '2026-03-10T15:00:00Z');
    const range = { firstDay: '2026-03-09', lastDay: '2026-03-11' };
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let holding!: () => void;
    const holds = new Promise<void>((resolve) => (holding = resolve));
    const holder = server.db
      .transaction(async (sql) => {
        await sql.query(`INSERT INTO "AnalyticsDay" ("orgId", "timeZone", "day") VALUES ($1, 'America/Chicago', '2026-03-10')`, [orgId]);
        holding();
        await held;
        throw new Error('rolled back on purpose');
      })
      .catch(() => {});
    await holds;
    const query = clinic.owner.api.analytics.blasts.query(range);
    await waitFor(async () => {
      const [row] = await p.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%INSERT INTO "AnalyticsDay"%generate_series%'`;
      return row!.n > 0 ? true : null;
    });
    await reply(conversationId, '2026-11-30T18:00:00Z');
    release();
    await holder;
    expect((await query).days.find((d) => d.date === '2026-03-10')).toMatchObject({ blast: 1, blastReplied: 0 });
    expect(await dayOf(range, '2026-03-10')).toMatchObject({ blast: 1, blastReplied: 1 });
    await expectExact(clinic.owner.api, range);
  });
  // Two refreshes of one org: the second waits on the org's AnalyticsRefresh row; when the first
  // commits, the second's snapshot is older than that commit, so it fails with a serialization
  // error and starts over in a new transaction (the dashboard never sees the error).
  it.runIf(TEST_DB === 'postgres')('a refresh that waited for another of its org starts over, and answers', async () => {
    const p = server.db.prisma;
    const range = { firstDay: '2026-03-09', lastDay: '2026-03-11' };
    await clinic.owner.api.analytics.blasts.query(range);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let holding!: () => void;
    const holds = new Promise<void>((resolve) => (holding = resolve));
    const holder = server.db.transaction(async (sql) => {
      await sql.query(`UPDATE "AnalyticsRefresh" SET "refreshedAt" = now() WHERE "orgId" = $1`, [clinic.org.id]);
      holding();
      await held;
    });
    await holds;
    const query = clinic.owner.api.analytics.blasts.query(range);
    await waitFor(async () => {
      const [row] = await p.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%INSERT INTO "AnalyticsRefresh"%'`;
      return row!.n > 0 ? true : null;
    });
    release();
    await holder;
    expect((await query).days).toHaveLength(3);
    await expectExact(clinic.owner.api, range);
  });
});
