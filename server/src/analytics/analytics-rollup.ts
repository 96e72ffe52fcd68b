import type { SqlRunner } from '../db/database.js';

/**
 * Per-day rollups for Analytics → Blasts, exact by construction.
 *
 * AnalyticsDay (org, time zone, local day) says the day's figures are stored, per team and
 * number, in AnalyticsDayFigures. Triggers on Message and Conversation (migration
 * analytics_rollups) append an AnalyticsChange row for every write that could move a day's
 * figures: a text sent, failed late, deleted or moved, a reply that answers earlier blast
 * messages, a conversation moved to another team or number. Before reading, a query consumes
 * the org's changes, drops the days they touch and recomputes every missing day of its period
 * from Message with the same rules as the raw statement (blastDaysSql), all under one per-org
 * lock, so what it reads is what computing from Message would give.
 *
 * Why it stays exact under concurrency: a writer's change row commits with its message, and a
 * query only consumes change rows committed before it looked; it recomputes the days afterwards
 * (a later snapshot, so it sees at least those writes). A write that commits later leaves its
 * change row for the next query. Refreshes of one org are serialized (advisory lock), so one
 * never marks a day computed from data older than a change another just consumed.
 *
 * Time zones: days are kept per time zone; a query reads only the org's current zone's days
 * and drops the others, so changing the org's zone recomputes from Message (once) and can
 * never show another zone's days.
 */

/** Statuses of a message the carrier took: billed, so counted. A failed message never left. */
export const REACHED_CARRIER = `('sent', 'delivered', 'undelivered')`;

export type RollupDayRow = { date: string; blast: number; oneToOne: number; segments: number; mms: number; blastReplied: number };

export type RollupQuery = { orgId: string; timeZone: string; firstDay: string; lastDay: string; teamIds: string[]; phoneNumberId?: string };

/** What one refresh did (the bench and the tests read it). */
export type RefreshStats = { changes: number; recomputedDays: number };

/** Brings the org's days firstDay..lastDay up to date, then reads them, in one transaction. */
export async function readRollup(transaction: <T>(fn: (sql: SqlRunner) => Promise<T>) => Promise<T>, q: RollupQuery): Promise<{ rows: RollupDayRow[]; stats: RefreshStats }> {
  return transaction(async (sql) => {
    const stats = await refresh(sql, q.orgId, q.timeZone, q.firstDay, q.lastDay);
    const rows = await sql.query<RollupDayRow>(
      `SELECT to_char(f."day", 'YYYY-MM-DD') AS "date", sum(f."blast")::int AS "blast", sum(f."oneToOne")::int AS "oneToOne",
              sum(f."segments")::int AS "segments", sum(f."mms")::int AS "mms", sum(f."blastReplied")::int AS "blastReplied"
         FROM "AnalyticsDayFigures" f
        WHERE f."orgId" = $1 AND f."timeZone" = $2 AND f."day" BETWEEN $3::date AND $4::date AND f."teamId" = ANY($5::text[])
          AND ($6::text IS NULL OR f."phoneNumberId" = $6::text)
        GROUP BY f."day"`,
      [q.orgId, q.timeZone, q.firstDay, q.lastDay, q.teamIds, q.phoneNumberId ?? null],
    );
    return { rows, stats };
  });
}

/**
 * Consumes the org's changes and recomputes the missing days of firstDay..lastDay. Call inside
 * a transaction (the lock is held until it ends). Housekeeping calls it with an empty period
 * (firstDay after lastDay) to consume the changes of orgs nobody looks at.
 */
export async function refresh(sql: SqlRunner, orgId: string, timeZone: string, firstDay: string, lastDay: string): Promise<RefreshStats> {
  await sql.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`analytics:${orgId}`]);
  // Another zone's days are never read again unless the org goes back to it: recomputed then.
  await sql.query(`DELETE FROM "AnalyticsDay" WHERE "orgId" = $1 AND "timeZone" <> $2`, [orgId, timeZone]);
  const [claimed] = await sql.query<{ changes: number }>(
    `WITH claimed AS (DELETE FROM "AnalyticsChange" WHERE "orgId" = $1 RETURNING "at"),
          touched AS (SELECT DISTINCT (e.t AT TIME ZONE $2)::date AS "day"
                        FROM claimed c CROSS JOIN LATERAL (VALUES (c."at"), (c."at" + interval '899.999 seconds')) e(t)
                       WHERE c."at" IS NOT NULL),
          dropped AS (DELETE FROM "AnalyticsDay" d
                       WHERE d."orgId" = $1 AND d."timeZone" = $2
                         AND (d."day" IN (SELECT "day" FROM touched) OR EXISTS (SELECT 1 FROM claimed WHERE "at" IS NULL))
                      RETURNING 1)
     SELECT (SELECT count(*) FROM claimed)::int AS "changes", (SELECT count(*) FROM dropped)::int AS "dropped"`,
    [orgId, timeZone],
  );
  if (firstDay > lastDay) return { changes: claimed?.changes ?? 0, recomputedDays: 0 };
  const missing = await sql.query<{ day: string }>(
    `INSERT INTO "AnalyticsDay" ("orgId", "timeZone", "day")
     SELECT $1, $2, g::date FROM generate_series($3::date, $4::date, interval '1 day') g
      WHERE NOT EXISTS (SELECT 1 FROM "AnalyticsDay" d WHERE d."orgId" = $1 AND d."timeZone" = $2 AND d."day" = g::date)
     RETURNING to_char("day", 'YYYY-MM-DD') AS "day"`,
    [orgId, timeZone, firstDay, lastDay],
  );
  if (missing.length) await sql.query(figuresSql, [orgId, timeZone, missing.map((m) => m.day)]);
  return { changes: claimed?.changes ?? 0, recomputedDays: missing.length };
}

/**
 * The figures of the given local days ($3) per team and number, from Message: outbound SMS/MMS
 * the carrier took, on the local day (zone $2) of sentAt; a blast message is one whose send key
 * is its blast's; it is answered when an inbound message came later in its conversation. Each
 * day reads its own slice of Message_analytics_sent_idx (widened by 3 hours for days whose
 * midnight a DST change skips; the date test decides), so a few scattered days cost a few days.
 */
const figuresSql = `
  INSERT INTO "AnalyticsDayFigures" ("orgId", "timeZone", "day", "teamId", "phoneNumberId", "blast", "oneToOne", "segments", "mms", "blastReplied")
  SELECT $1, $2, x."day", x."teamId", x."phoneNumberId",
         count(*) FILTER (WHERE x."blast")::int,
         count(*) FILTER (WHERE NOT x."blast")::int,
         coalesce(sum(x."segments") FILTER (WHERE x."channel" = 'sms'), 0)::int,
         count(*) FILTER (WHERE x."channel" = 'mms')::int,
         count(*) FILTER (WHERE x."replied")::int
    FROM (SELECT d."day", c."teamId", coalesce(c."phoneNumberId", '') AS "phoneNumberId", m."channel", m."segments",
                 coalesce(m."idempotencyKey" LIKE 'blast:%', false) AS "blast",
                 CASE WHEN m."idempotencyKey" LIKE 'blast:%'
                      THEN EXISTS (SELECT 1 FROM "Message" i WHERE i."conversationId" = m."conversationId" AND i."direction" = 'inbound' AND i."createdAt" > m."createdAt")
                      ELSE false END AS "replied"
            FROM unnest($3::date[]) AS d("day")
            JOIN "Message" m ON m."orgId" = $1 AND m."direction" = 'outbound'
                            AND m."sentAt" >= (d."day"::timestamp AT TIME ZONE $2) - interval '3 hours'
                            AND m."sentAt" < ((d."day" + 1)::timestamp AT TIME ZONE $2) + interval '3 hours'
            JOIN "Conversation" c ON c."id" = m."conversationId"
           WHERE (m."sentAt" AT TIME ZONE $2)::date = d."day"
             AND m."channel" IN ('sms', 'mms') AND m."status" IN ${REACHED_CARRIER}) x
   GROUP BY x."day", x."teamId", x."phoneNumberId"`;
