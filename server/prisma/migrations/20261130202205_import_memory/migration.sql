-- CreateTable
CREATE TABLE "ImportMemory" (
    "jobId" TEXT NOT NULL,
    "firstLine" INTEGER NOT NULL,
    "patientIds" TEXT[],
    "lines" INTEGER[],

    CONSTRAINT "ImportMemory_pkey" PRIMARY KEY ("jobId","firstLine")
);

-- AddForeignKey
ALTER TABLE "ImportMemory" ADD CONSTRAINT "ImportMemory_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "ImportJob"("id") ON DELETE CASCADE ON UPDATE CASCADE;

