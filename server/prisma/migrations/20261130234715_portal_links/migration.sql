-- AlterTable
ALTER TABLE "Conversation" ADD COLUMN     "repliesEnabled" BOOLEAN NOT NULL DEFAULT true;

-- AlterTable
ALTER TABLE "Message" ADD COLUMN     "readAt" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "PortalLink" (
    "id" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "conversationId" TEXT NOT NULL,
    "patientId" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "failedAttempts" INTEGER NOT NULL DEFAULT 0,
    "lockedUntil" TIMESTAMPTZ(3),
    "replacedAt" TIMESTAMPTZ(3),
    "createdById" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PortalLink_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PortalDevice" (
    "id" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "patientId" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PortalDevice_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PortalAttempt" (
    "id" TEXT NOT NULL,
    "ip" TEXT NOT NULL,
    "linkId" TEXT,
    "success" BOOLEAN NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PortalAttempt_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "PortalLink_tokenHash_key" ON "PortalLink"("tokenHash");

-- CreateIndex
CREATE INDEX "PortalLink_conversationId_createdAt_idx" ON "PortalLink"("conversationId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "PortalDevice_tokenHash_key" ON "PortalDevice"("tokenHash");

-- CreateIndex
CREATE INDEX "PortalAttempt_ip_createdAt_idx" ON "PortalAttempt"("ip", "createdAt");


-- One secure-only conversation per team and patient (teams without a number); written by hand: Prisma cannot express a partial unique index.
CREATE UNIQUE INDEX "Conversation_secure_team_patient_key" ON "Conversation"("teamId", "patientId") WHERE kind = 'secure';
