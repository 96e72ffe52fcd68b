-- CreateTable
CREATE TABLE "Blast" (
    "id" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "teamId" TEXT NOT NULL,
    "phoneNumberId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "cohortIds" TEXT[],
    "marketing" BOOLEAN NOT NULL DEFAULT false,
    "status" TEXT NOT NULL DEFAULT 'draft',
    "createdById" TEXT NOT NULL,
    "idempotencyKey" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sentAt" TIMESTAMPTZ(3),
    "completedAt" TIMESTAMPTZ(3),
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Blast_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "BlastRecipient" (
    "id" TEXT NOT NULL,
    "blastId" TEXT NOT NULL,
    "patientId" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "skipReason" TEXT,
    "messageId" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "BlastRecipient_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Blast_orgId_teamId_createdAt_idx" ON "Blast"("orgId", "teamId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "Blast_orgId_createdById_idempotencyKey_key" ON "Blast"("orgId", "createdById", "idempotencyKey");

-- CreateIndex
CREATE UNIQUE INDEX "BlastRecipient_messageId_key" ON "BlastRecipient"("messageId");

-- CreateIndex
CREATE INDEX "BlastRecipient_blastId_status_idx" ON "BlastRecipient"("blastId", "status");

-- CreateIndex
CREATE UNIQUE INDEX "BlastRecipient_blastId_patientId_key" ON "BlastRecipient"("blastId", "patientId");

-- AddForeignKey
ALTER TABLE "BlastRecipient" ADD CONSTRAINT "BlastRecipient_blastId_fkey" FOREIGN KEY ("blastId") REFERENCES "Blast"("id") ON DELETE CASCADE ON UPDATE CASCADE;

