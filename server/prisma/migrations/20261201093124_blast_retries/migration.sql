-- AlterTable
ALTER TABLE "BlastRecipient" ADD COLUMN     "retries" INTEGER NOT NULL DEFAULT 0;

