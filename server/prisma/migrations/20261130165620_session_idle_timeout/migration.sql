-- AlterTable
ALTER TABLE "Org" ADD COLUMN     "idleTimeoutMinutes" INTEGER NOT NULL DEFAULT 30;

-- AlterTable
ALTER TABLE "Session" ADD COLUMN     "endedReason" TEXT;

