import type { SqlRunner } from '../db/database.js';

/**
 * Per-day rollups for Analytics → Blasts, exact by construction.
 *
 * AnalyticsDay (org, time zone, local day) says the day's figures are stored, per team and
 * number, in AnalyticsDayFigures. Triggers on Message and Conversation (migrations
 * analytics_rollups, analytics_reply_increments) append an AnalyticsChange row for every write
 * that could move a day's figures. Most name a day (the 15-minute bucket of a sentAt: a text
 * sent, failed late, deleted or moved; a deleted reply) or every day (a conversation moved to
 * another team or number): a refresh drops those days and recomputes every missing day of its
 * period from Message with the same rules as the raw statement (blastDaysSql). A patient's
 * reply names itself (replyId): it only turns blast messages of its conversation into answered
 * ones, so the refresh adds, to each stored day it does not drop, the blast messages on that day
 * (per team and number) that are answered now and were not before: answered by a claimed reply
 * and by no other inbound message. Replies answer weeks-old blast messages, so dropping their
 * days recomputed old days in full on most calls.
 *
 * Why it stays exact: a refresh runs in REPEATABLE READ, so claiming the change rows, dropping
 * days, adding replies and recomputing days all see one snapshot S, and a writer's change row
 * commits with its message: a write is visible in S exactly when its change row is claimed by
 * this refresh or an earlier one. So a stored day computed at snapshot S_D already holds every
 * reply claimed up to then and none claimed later: each claimed reply is added once, to days
 * computed before it, never to a day whose recompute saw it. (In READ COMMITTED each statement
 * takes a new snapshot: a reply committed between the claim and the recompute would be counted
 * by the recompute and again from its change row by the next refresh.) Adding stays exact
 * because a stored day's other inputs have not moved since S_D: any write that changed its blast
 * messages (sent, failed, deleted, moved) or their conversations' team or number left a change
 * row that drops the day in this refresh (an earlier one would have dropped it already), and
 * "answered before" is "an inbound message later than it exists other than the claimed replies"
 * (an inbound message deleted or moved leaves day-dropping rows; one added, a reply row). A
 * reply whose blast messages are on days not stored adds nothing: those days are computed from
 * Message when read. Days stored before that migration were computed in READ COMMITTED, but
 * the replies of that time left day-dropping rows, so they hold no reply twice. Refreshes of one org are serialized by
 * updating its AnalyticsRefresh row first: a refresh whose snapshot is older than another's
 * commit fails there with a serialization error before reading anything, and is retried.
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
  return inRefresh(transaction, async (sql) => {
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

/** How often a refresh that lost the race to another refresh of its org starts over. */
const REFRESH_ATTEMPTS = 10;

/**
 * Runs `fn` (which starts with `refresh`) in a transaction, again in a new one when PostgreSQL
 * reports a serialization failure (another refresh of the org committed after this one's
 * snapshot was taken: see refresh).
 */
export async function inRefresh<T>(transaction: <R>(fn: (sql: SqlRunner) => Promise<R>) => Promise<R>, fn: (sql: SqlRunner) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await transaction(fn);
    } catch (error) {
      if ((error as { code?: string }).code !== '40001' || attempt >= REFRESH_ATTEMPTS) throw error;
    }
  }
}

/**
 * Consumes the org's changes, adds claimed replies to the stored days, and recomputes the
 * missing days of firstDay..lastDay. Must be the first thing its transaction does (it sets
 * REPEATABLE READ), inside inRefresh. Housekeeping calls it with an empty period (firstDay
 * after lastDay) to consume the changes of orgs nobody looks at.
 */
export async function refresh(sql: SqlRunner, orgId: string, timeZone: string, firstDay: string, lastDay: string): Promise<RefreshStats> {
  await sql.query(`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ`);
  // The snapshot is taken here: this waits for a refresh of the org in progress, then fails
  // (40001, retried) if one committed after the snapshot, so no two refreshes overlap.
  await sql.query(`INSERT INTO "AnalyticsRefresh" ("orgId") VALUES ($1) ON CONFLICT ("orgId") DO UPDATE SET "refreshedAt" = now()`, [orgId]);
  // Another zone's days are never read again unless the org goes back to it: recomputed then.
  await sql.query(`DELETE FROM "AnalyticsDay" WHERE "orgId" = $1 AND "timeZone" <> $2`, [orgId, timeZone]);
  const [claimed] = await sql.query<{ changes: number; added: number }>(claimSql, [orgId, timeZone]);
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
 * Claims the org's change rows; drops the days they name (every day for a row with neither a
 * day nor a reply); adds the claimed replies to the stored days it keeps. Added per local day
 * (zone $2), team and number of a blast message that reached the carrier, answered by a claimed
 * reply (an inbound message later in its conversation) and by no other inbound message. One
 * statement, so the days it keeps are exactly those it does not drop. A claimed reply deleted
 * since adds nothing (its deletion dropped the days it had answered).
 */
const claimSql = `
  WITH claimed AS (DELETE FROM "AnalyticsChange" WHERE "orgId" = $1 RETURNING "at", "replyId"),
       everything AS (SELECT EXISTS (SELECT 1 FROM claimed WHERE "at" IS NULL AND "replyId" IS NULL) AS "all"),
       touched AS (SELECT DISTINCT (e.t AT TIME ZONE $2)::date AS "day"
                     FROM claimed c CROSS JOIN LATERAL (VALUES (c."at"), (c."at" + interval '899.999 seconds')) e(t)
                    WHERE c."at" IS NOT NULL),
       dropped AS (DELETE FROM "AnalyticsDay" d
                    WHERE d."orgId" = $1 AND d."timeZone" = $2
                      AND (d."day" IN (SELECT "day" FROM touched) OR (SELECT "all" FROM everything))
                   RETURNING 1),
       replies AS (SELECT r."id", r."conversationId", r."createdAt" FROM "Message" r
                    WHERE r."id" IN (SELECT "replyId" FROM claimed WHERE "replyId" IS NOT NULL) AND r."orgId" = $1 AND r."direction" = 'inbound'),
       answered AS MATERIALIZED (
         SELECT (b."sentAt" AT TIME ZONE $2)::date AS "day", c."teamId", coalesce(c."phoneNumberId", '') AS "phoneNumberId", count(*)::int AS "n"
           FROM (SELECT "conversationId", max("createdAt") AS "lastReply" FROM replies GROUP BY 1) rc
           JOIN "Conversation" c ON c."id" = rc."conversationId"
           JOIN "Message" b ON b."conversationId" = rc."conversationId" AND b."createdAt" < rc."lastReply"
          WHERE b."direction" = 'outbound' AND b."idempotencyKey" LIKE 'blast:%' AND b."sentAt" IS NOT NULL
            AND b."channel" IN ('sms', 'mms') AND b."status" IN ${REACHED_CARRIER}
            AND NOT EXISTS (SELECT 1 FROM "Message" i
                             WHERE i."conversationId" = b."conversationId" AND i."direction" = 'inbound' AND i."createdAt" > b."createdAt"
                               AND i."id" NOT IN (SELECT "id" FROM replies))
          GROUP BY 1, 2, 3),
       added AS (UPDATE "AnalyticsDayFigures" f SET "blastReplied" = f."blastReplied" + a."n"
                   FROM answered a
                  WHERE f."orgId" = $1 AND f."timeZone" = $2 AND f."day" = a."day" AND f."teamId" = a."teamId" AND f."phoneNumberId" = a."phoneNumberId"
                    AND NOT (SELECT "all" FROM everything) AND a."day" NOT IN (SELECT "day" FROM touched)
                 RETURNING 1)
  SELECT (SELECT count(*) FROM claimed)::int AS "changes", (SELECT count(*) FROM added)::int AS "added"`;

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
