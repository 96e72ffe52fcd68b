-- CreateTable
CREATE TABLE "CsvBroadcast" (
    "id" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "teamId" TEXT NOT NULL,
    "phoneNumberId" TEXT NOT NULL,
    "fileHash" TEXT NOT NULL,
    "fileName" TEXT NOT NULL,
    "importJobId" TEXT,
    "status" TEXT NOT NULL,
    "error" TEXT,
    "patientIds" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "blastId" TEXT,
    "claimedAt" TIMESTAMPTZ(3),
    "createdById" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sentAt" TIMESTAMPTZ(3),

    CONSTRAINT "CsvBroadcast_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "CsvBroadcast_orgId_phoneNumberId_createdAt_idx" ON "CsvBroadcast"("orgId", "phoneNumberId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "CsvBroadcast_phoneNumberId_fileHash_key" ON "CsvBroadcast"("phoneNumberId", "fileHash");

