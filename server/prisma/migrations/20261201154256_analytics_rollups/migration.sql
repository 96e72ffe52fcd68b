-- CreateTable
CREATE TABLE "AnalyticsDay" (
    "orgId" TEXT NOT NULL,
    "timeZone" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "computedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AnalyticsDay_pkey" PRIMARY KEY ("orgId","timeZone","day")
);

-- CreateTable
CREATE TABLE "AnalyticsDayFigures" (
    "orgId" TEXT NOT NULL,
    "timeZone" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "teamId" TEXT NOT NULL,
    "phoneNumberId" TEXT NOT NULL,
    "blast" INTEGER NOT NULL,
    "oneToOne" INTEGER NOT NULL,
    "segments" INTEGER NOT NULL,
    "mms" INTEGER NOT NULL,
    "blastReplied" INTEGER NOT NULL,

    CONSTRAINT "AnalyticsDayFigures_pkey" PRIMARY KEY ("orgId","timeZone","day","teamId","phoneNumberId")
);

-- CreateTable
CREATE TABLE "AnalyticsChange" (
    "id" BIGSERIAL NOT NULL,
    "orgId" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3),

    CONSTRAINT "AnalyticsChange_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "AnalyticsChange_orgId_idx" ON "AnalyticsChange"("orgId");

-- AddForeignKey
ALTER TABLE "AnalyticsDay" ADD CONSTRAINT "AnalyticsDay_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Org"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AnalyticsDayFigures" ADD CONSTRAINT "AnalyticsDayFigures_orgId_timeZone_day_fkey" FOREIGN KEY ("orgId", "timeZone", "day") REFERENCES "AnalyticsDay"("orgId", "timeZone", "day") ON DELETE CASCADE ON UPDATE CASCADE;

-- Written by hand from here (Prisma cannot express triggers or a partial index, and its diff
-- ignores them). Analytics → Blasts reads per-day rollups (AnalyticsDay, AnalyticsDayFigures);
-- these triggers are the one place that knows which writes can move a day's figures: every
-- writer of Message or of a Conversation's team/number (send worker, webhooks, blasts, inbound
-- replies, imports, tests, hand-written SQL) goes through them, so none can forget. They only
-- append to AnalyticsChange (no unique key, so a writer never waits on another or on a
-- dashboard query); server/src/analytics/analytics-rollup.ts consumes the rows and recomputes
-- the days they touch. What counts is in analytics-rollup.ts (figuresSql).

-- The 15-minute bucket of an instant: every time zone's midnight falls on one today, and a day
-- that straddles a bucket is invalidated through both ends of it.
CREATE FUNCTION "analytics_bucket"(t timestamptz) RETURNS timestamptz LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT to_timestamp(floor(extract(epoch FROM t) / 900) * 900)
$$;

-- New messages: an outbound one already sent counts on its day; an inbound one answers the
-- blast messages of its conversation sent since the previous inbound (older ones were answered
-- already), so their days change.
CREATE FUNCTION "analytics_messages_inserted"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "AnalyticsChange" ("orgId", "at")
  SELECT DISTINCT x."orgId", "analytics_bucket"(x."sentAt")
    FROM (SELECT n."orgId", n."sentAt" FROM new_messages n WHERE n."direction" = 'outbound' AND n."sentAt" IS NOT NULL
          UNION ALL
          SELECT b."orgId", b."sentAt"
            FROM new_messages n
            CROSS JOIN LATERAL (SELECT max(i."createdAt") AS "at" FROM "Message" i
                                 WHERE i."conversationId" = n."conversationId" AND i."direction" = 'inbound' AND i."createdAt" < n."createdAt") previous
            -- OFFSET 0 fences the conversation's read: without it the planner ANDed in a bitmap of
            -- the whole Message_analytics_sent_idx (seconds per reply on 1,000,000 messages).
            CROSS JOIN LATERAL (SELECT m."orgId", m."sentAt", m."direction", m."idempotencyKey" FROM "Message" m
                                 WHERE m."conversationId" = n."conversationId" AND m."createdAt" < n."createdAt" AND m."createdAt" >= coalesce(previous."at", '-infinity')
                                OFFSET 0) b
           WHERE n."direction" = 'inbound' AND b."direction" = 'outbound' AND b."sentAt" IS NOT NULL AND b."idempotencyKey" LIKE 'blast:%') x;
  RETURN NULL;
END $$;
CREATE TRIGGER "analytics_messages_inserted" AFTER INSERT ON "Message"
  REFERENCING NEW TABLE AS new_messages FOR EACH STATEMENT EXECUTE FUNCTION "analytics_messages_inserted"();

-- A changed message: its old and new day when anything the figures read changed (sent ->
-- delivered does not: both count; sent -> failed does). An inbound message that moved (never
-- done today) may change any blast message's answer: every day of the org.
CREATE FUNCTION "analytics_message_updated"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (OLD."direction" = 'inbound' OR NEW."direction" = 'inbound')
     AND ROW(OLD."orgId", OLD."conversationId", OLD."direction", OLD."createdAt") IS DISTINCT FROM ROW(NEW."orgId", NEW."conversationId", NEW."direction", NEW."createdAt") THEN
    INSERT INTO "AnalyticsChange" ("orgId", "at") SELECT DISTINCT o, NULL::timestamptz FROM (VALUES (OLD."orgId"), (NEW."orgId")) v(o);
  END IF;
  INSERT INTO "AnalyticsChange" ("orgId", "at")
  SELECT DISTINCT v.o, "analytics_bucket"(v.t)
    FROM (VALUES (OLD."orgId", OLD."direction", OLD."sentAt"), (NEW."orgId", NEW."direction", NEW."sentAt")) v(o, d, t)
   WHERE v.d = 'outbound' AND v.t IS NOT NULL;
  RETURN NULL;
END $$;
CREATE TRIGGER "analytics_message_updated" AFTER UPDATE ON "Message" FOR EACH ROW
  WHEN (ROW(OLD."orgId", OLD."conversationId", OLD."direction", OLD."channel", OLD."sentAt", OLD."createdAt", OLD."segments", OLD."idempotencyKey", OLD."status" IN ('sent', 'delivered', 'undelivered'))
        IS DISTINCT FROM ROW(NEW."orgId", NEW."conversationId", NEW."direction", NEW."channel", NEW."sentAt", NEW."createdAt", NEW."segments", NEW."idempotencyKey", NEW."status" IN ('sent', 'delivered', 'undelivered')))
  EXECUTE FUNCTION "analytics_message_updated"();

-- Deleted messages (a conversation's go with it): their days, and for a deleted inbound one the
-- blast messages before it in its conversation that remain.
CREATE FUNCTION "analytics_messages_deleted"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "AnalyticsChange" ("orgId", "at")
  SELECT DISTINCT x."orgId", "analytics_bucket"(x."sentAt")
    FROM (SELECT o."orgId", o."sentAt" FROM old_messages o WHERE o."direction" = 'outbound' AND o."sentAt" IS NOT NULL
          UNION ALL
          SELECT b."orgId", b."sentAt"
            FROM old_messages o
            CROSS JOIN LATERAL (SELECT m."orgId", m."sentAt", m."direction", m."idempotencyKey" FROM "Message" m
                                 WHERE m."conversationId" = o."conversationId" AND m."createdAt" < o."createdAt" OFFSET 0) b
           WHERE o."direction" = 'inbound' AND b."direction" = 'outbound' AND b."sentAt" IS NOT NULL AND b."idempotencyKey" LIKE 'blast:%') x;
  RETURN NULL;
END $$;
CREATE TRIGGER "analytics_messages_deleted" AFTER DELETE ON "Message"
  REFERENCING OLD TABLE AS old_messages FOR EACH STATEMENT EXECUTE FUNCTION "analytics_messages_deleted"();

-- A conversation moved to another team or number (numbers.update moves a number's
-- conversations with it): figures are kept per team and number, so every day of the org.
CREATE FUNCTION "analytics_conversation_moved"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "AnalyticsChange" ("orgId", "at") SELECT DISTINCT o, NULL::timestamptz FROM (VALUES (OLD."orgId"), (NEW."orgId")) v(o);
  RETURN NULL;
END $$;
CREATE TRIGGER "analytics_conversation_moved" AFTER UPDATE ON "Conversation" FOR EACH ROW
  WHEN (ROW(OLD."orgId", OLD."teamId", OLD."phoneNumberId") IS DISTINCT FROM ROW(NEW."orgId", NEW."teamId", NEW."phoneNumberId"))
  EXECUTE FUNCTION "analytics_conversation_moved"();

-- Recomputing a day asks, for each blast message, whether an inbound message came later in its
-- conversation: an index-only probe.
CREATE INDEX "Message_analytics_reply_idx" ON "Message"("conversationId", "createdAt") WHERE "direction" = 'inbound';
