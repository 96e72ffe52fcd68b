-- CreateTable
CREATE TABLE "ImportCheckedBatch" (
    "jobId" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "firstLine" INTEGER NOT NULL,
    "seen" INTEGER NOT NULL,
    "rejectedLines" INTEGER[],
    "rows" TEXT NOT NULL,

    CONSTRAINT "ImportCheckedBatch_pkey" PRIMARY KEY ("jobId","seq")
);

-- AddForeignKey
ALTER TABLE "ImportCheckedBatch" ADD CONSTRAINT "ImportCheckedBatch_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "ImportJob"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- The rows are written once by the dry run and read once by the apply, then deleted: stored
-- out of line without compression (pglz would cost both phases CPU for a short-lived copy).
ALTER TABLE "ImportCheckedBatch" ALTER COLUMN "rows" SET STORAGE EXTERNAL;
