import { Inject, Injectable } from '@nestjs/common';
import { calendarDate, MMS_MESSAGE_PRICE_USD, parseIsoDate, SMS_SEGMENT_PRICE_USD, zonedTime } from '@caretext/shared';
import { TRPCError } from '@trpc/server';
import { AccessService, type Actor, isAdmin } from '../access/access.service.js';
import type { Database } from '../db/database.js';
import { type Org, Prisma } from '../generated/prisma/client.js';
import { DATABASE } from '../injection-tokens.js';
import { inRefresh, REACHED_CARRIER, readRollup, refresh, type RollupDayRow } from './analytics-rollup.js';

/** The longest period one dashboard query may cover (a year, leap day included). */
export const MAX_RANGE_DAYS = 366;

/** firstDay..lastDay: local calendar days of the org (YYYY-MM-DD), both included. */
export type BlastAnalyticsInput = { firstDay: string; lastDay: string; teamId?: string; phoneNumberId?: string };

/** One local day of the org: messages that reached the carrier that day, by source, and what they cost. */
export type AnalyticsDay = {
  date: string;
  blast: number;
  oneToOne: number;
  /** SMS segments (MMS are billed per message, not per segment). */
  segments: number;
  mms: number;
  /** Estimated spend in cents (list price, see shared/src/sms-cost.ts); may be fractional. */
  spendCents: number;
  /** Blast messages of this day that the patient answered (any inbound later in the conversation). */
  blastReplied: number;
};

// Prices in hundredths of a cent, so sums stay exact integers (as estimateSmsCost does).
const SEGMENT_HUNDREDTHS = Math.round(SMS_SEGMENT_PRICE_USD * 10_000);
const MMS_HUNDREDTHS = Math.round(MMS_MESSAGE_PRICE_USD * 10_000);

const REACHED = Prisma.raw(REACHED_CARRIER);

/**
 * Analytics → Blasts and the dashboard: counts only, never a patient or a message text.
 * Admins and owners see the whole org; members see the teams they are on; external members
 * (chat with other organizations) see nothing. Messages count on the local day (org time zone)
 * the carrier took them (sentAt); a blast message is one whose send key is its blast's. Figures
 * come from per-day rollups kept exact by analytics-rollup.ts; blastDaysSql computes the same
 * from Message (the tests hold the two equal).
 */
@Injectable()
export class AnalyticsService {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly access: AccessService,
  ) {}

  /** The teams and numbers this caller may filter by (and whose figures they see). */
  async filters(actor: Actor) {
    const teamIds = await this.visibleTeamIds(actor);
    const [teams, numbers] = await Promise.all([
      this.db.prisma.team.findMany({ where: { orgId: actor.orgId, id: { in: teamIds } }, select: { id: true, name: true }, orderBy: { name: 'asc' } }),
      this.db.prisma.phoneNumber.findMany({ where: { orgId: actor.orgId, teamId: { in: teamIds } }, select: { id: true, e164: true, teamId: true, status: true }, orderBy: { e164: 'asc' } }),
    ]);
    return { teams, numbers, orgWide: isAdmin(actor.role) };
  }

  async blasts(actor: Actor, org: Org, input: BlastAnalyticsInput) {
    const { days } = period(input.firstDay, input.lastDay, org.timeZone);
    const teamIds = await this.scopeTeams(actor, input);
    const rows = teamIds.length
      ? (await readRollup((fn) => this.db.transaction(fn), { orgId: actor.orgId, timeZone: org.timeZone, firstDay: days[0]!, lastDay: days[days.length - 1]!, teamIds, phoneNumberId: input.phoneNumberId })).rows
      : [];
    const byDate = new Map(rows.map((r) => [r.date, r]));
    const series: AnalyticsDay[] = days.map((date) => {
      const r = byDate.get(date);
      const segments = r?.segments ?? 0;
      const mms = r?.mms ?? 0;
      return { date, blast: r?.blast ?? 0, oneToOne: r?.oneToOne ?? 0, segments, mms, spendCents: (segments * SEGMENT_HUNDREDTHS + mms * MMS_HUNDREDTHS) / 100, blastReplied: r?.blastReplied ?? 0 };
    });
    const sum = (key: 'blast' | 'oneToOne' | 'segments' | 'mms' | 'blastReplied') => series.reduce((n, d) => n + d[key], 0);
    const totals = { blast: sum('blast'), oneToOne: sum('oneToOne'), segments: sum('segments'), mms: sum('mms'), blastReplied: sum('blastReplied') };
    const hundredths = totals.segments * SEGMENT_HUNDREDTHS + totals.mms * MMS_HUNDREDTHS;
    return {
      firstDay: days[0]!,
      lastDay: days[days.length - 1]!,
      timeZone: org.timeZone,
      prices: { smsSegmentUsd: SMS_SEGMENT_PRICE_USD, mmsMessageUsd: MMS_MESSAGE_PRICE_USD },
      days: series,
      totals: {
        ...totals,
        /** Total SMS: every text (SMS and MMS) the carrier took in the period. */
        messages: totals.blast + totals.oneToOne,
        spendCents: hundredths / 100,
        /** Blast messages answered / blast messages sent; null with no blast message. */
        replyRate: totals.blast ? totals.blastReplied / totals.blast : null,
      },
    };
  }

  /**
   * Housekeeping: consumes the change rows of every org (their days are dropped, recomputed when
   * next viewed; replies are added to the stored days), so AnalyticsChange stays small where nobody opens the dashboard. Returns how
   * many rows it consumed.
   */
  async consumeChanges(): Promise<number> {
    const orgs = await this.db.sql.query<{ orgId: string; timeZone: string }>(
      `SELECT o."id" AS "orgId", o."timeZone" FROM "Org" o WHERE EXISTS (SELECT 1 FROM "AnalyticsChange" c WHERE c."orgId" = o."id")`,
    );
    let consumed = 0;
    for (const org of orgs) consumed += (await inRefresh((fn) => this.db.transaction(fn), (sql) => refresh(sql, org.orgId, org.timeZone, '9999-12-31', '0001-01-01'))).changes;
    // A deleted org's messages left change rows behind: nothing of it remains to recompute.
    const orphans = await this.db.sql.query(`DELETE FROM "AnalyticsChange" c WHERE NOT EXISTS (SELECT 1 FROM "Org" o WHERE o."id" = c."orgId") RETURNING 1`);
    return consumed + orphans.length;
  }

  /** Admins and owners: every team of the org; members: their teams; external members: refused. */
  private async visibleTeamIds(actor: Actor): Promise<string[]> {
    if (isAdmin(actor.role)) return (await this.db.prisma.team.findMany({ where: { orgId: actor.orgId }, select: { id: true } })).map((t) => t.id);
    if (actor.role !== 'member') throw new TRPCError({ code: 'FORBIDDEN', message: 'Analytics are for the members of this organization.' });
    return this.access.teamIdsFor(actor);
  }

  /** The teams a query covers after its filters; another org's team or number is NOT_FOUND, one outside the caller's teams FORBIDDEN. */
  private async scopeTeams(actor: Actor, input: BlastAnalyticsInput): Promise<string[]> {
    const visible = await this.visibleTeamIds(actor);
    let teamIds = visible;
    if (input.teamId) {
      const team = await this.db.prisma.team.findFirst({ where: { id: input.teamId, orgId: actor.orgId }, select: { id: true, name: true } });
      if (!team) throw new TRPCError({ code: 'NOT_FOUND', message: 'Team not found.' });
      if (!visible.includes(team.id)) throw new TRPCError({ code: 'FORBIDDEN', message: `You are not a member of the team ${team.name}.` });
      teamIds = [team.id];
    }
    if (input.phoneNumberId) {
      const number = await this.db.prisma.phoneNumber.findFirst({ where: { id: input.phoneNumberId, orgId: actor.orgId }, select: { teamId: true } });
      if (!number) throw new TRPCError({ code: 'NOT_FOUND', message: 'Phone number not found.' });
      // A number's conversations keep the team they were started on; the filter is on the
      // conversations' number, within the teams the caller may see.
      if (!visible.includes(number.teamId)) throw new TRPCError({ code: 'FORBIDDEN', message: 'That number belongs to a team you are not on.' });
    }
    return teamIds;
  }
}

export type DayRow = RollupDayRow;

/**
 * One row per local day with texts, computed from Message: what the dashboard showed before the
 * rollups, kept as the reference the rollups must equal (tests, bench).
 * A blast message counts as replied when its conversation has an inbound message after it, as
 * the blast's Replied stat counts it; "some inbound later" is "the latest inbound is later", so
 * the latest inbound per conversation is read once (only inbound messages newer than the oldest
 * blast message counted can matter) instead of probing once per message. Both reads are
 * index-only scans of partial indexes (migration analytics_indexes), bounded by the period.
 */
export function blastDaysSql(q: { orgId: string; timeZone: string; start: Date; end: Date; teamIds: string[]; phoneNumberId?: string }) {
  return Prisma.sql`
    WITH sel AS (
      SELECT m."sentAt", m."createdAt", m."conversationId", m."channel", m."segments", m."idempotencyKey" LIKE 'blast:%' AS "blast"
        FROM "Message" m
        JOIN "Conversation" c ON c."id" = m."conversationId"
       WHERE m."orgId" = ${q.orgId} AND m."direction" = 'outbound' AND m."sentAt" >= ${q.start} AND m."sentAt" < ${q.end}
         AND m."channel" IN ('sms', 'mms') AND m."status" IN ${REACHED}
         AND c."teamId" IN (${Prisma.join(q.teamIds)})
         ${q.phoneNumberId ? Prisma.sql`AND c."phoneNumberId" = ${q.phoneNumberId}` : Prisma.empty}
    ), replies AS (
      SELECT i."conversationId", max(i."createdAt") AS "lastInbound"
        FROM "Message" i
       WHERE i."orgId" = ${q.orgId} AND i."direction" = 'inbound'
         AND i."createdAt" > (SELECT min(s."createdAt") FROM sel s WHERE s."blast")
       GROUP BY 1
    )
    SELECT to_char(d."day", 'YYYY-MM-DD') AS "date", d."blast", d."oneToOne", d."segments", d."mms", d."blastReplied"
      FROM (SELECT (s."sentAt" AT TIME ZONE ${q.timeZone})::date AS "day",
                   count(*) FILTER (WHERE s."blast")::int AS "blast",
                   count(*) FILTER (WHERE s."blast" IS NOT TRUE)::int AS "oneToOne",
                   coalesce(sum(s."segments") FILTER (WHERE s."channel" = 'sms'), 0)::int AS "segments",
                   count(*) FILTER (WHERE s."channel" = 'mms')::int AS "mms",
                   count(*) FILTER (WHERE s."blast" AND r."lastInbound" > s."createdAt")::int AS "blastReplied"
              FROM sel s LEFT JOIN replies r ON r."conversationId" = s."conversationId"
             GROUP BY 1) d`;
}

/** The local days from..to (inclusive) and the instants that bound them in the org's time zone. */
export function period(from: string, to: string, timeZone: string): { days: string[]; start: Date; end: Date } {
  const a = parseIsoDate(from);
  const b = parseIsoDate(to);
  if (!a || !b) throw new TRPCError({ code: 'BAD_REQUEST', message: 'Pick a start and an end date (YYYY-MM-DD).' });
  const first = Date.UTC(a.year, a.month - 1, a.day);
  const last = Date.UTC(b.year, b.month - 1, b.day);
  if (last < first) throw new TRPCError({ code: 'BAD_REQUEST', message: 'The end date is before the start date.' });
  const count = (last - first) / 86_400_000 + 1;
  if (count > MAX_RANGE_DAYS) throw new TRPCError({ code: 'BAD_REQUEST', message: `Pick a period of at most ${MAX_RANGE_DAYS} days.` });
  const days: string[] = [];
  for (let i = 0; i < count; i++) {
    const d = new Date(first + i * 86_400_000);
    days.push(calendarDate({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() })!);
  }
  return { days, start: zonedTime(a.year, a.month, a.day, 0, 0, timeZone), end: zonedTime(b.year, b.month, b.day + 1, 0, 0, timeZone) };
}
