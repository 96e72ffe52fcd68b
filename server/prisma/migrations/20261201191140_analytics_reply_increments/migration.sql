-- AlterTable
ALTER TABLE "AnalyticsChange" ADD COLUMN     "replyId" TEXT;

-- CreateTable
CREATE TABLE "AnalyticsRefresh" (
    "orgId" TEXT NOT NULL,
    "refreshedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AnalyticsRefresh_pkey" PRIMARY KEY ("orgId")
);

-- AddForeignKey
ALTER TABLE "AnalyticsRefresh" ADD CONSTRAINT "AnalyticsRefresh_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Org"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Written by hand from here. A patient's reply no longer drops the days of the blast messages it
-- answers (each recomputed in full, ~50 ms a day on 1,000,000 messages, and replies answer old
-- days): it appends one change row naming the reply, and the next refresh adds the blast
-- messages it answered to the stored days (analytics-rollup.ts, which explains why that stays
-- exact). The writer no longer reads its conversation's messages either. Outbound texts still
-- append the 15-minute bucket of their sentAt, as before.
CREATE OR REPLACE FUNCTION "analytics_messages_inserted"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "AnalyticsChange" ("orgId", "at")
  SELECT DISTINCT n."orgId", "analytics_bucket"(n."sentAt") FROM new_messages n WHERE n."direction" = 'outbound' AND n."sentAt" IS NOT NULL;
  INSERT INTO "AnalyticsChange" ("orgId", "replyId")
  SELECT n."orgId", n."id" FROM new_messages n WHERE n."direction" = 'inbound';
  RETURN NULL;
END $$;
