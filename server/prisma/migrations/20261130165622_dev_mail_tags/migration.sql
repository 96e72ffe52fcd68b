-- AlterTable
ALTER TABLE "DevMail" ADD COLUMN     "kind" TEXT,
ADD COLUMN     "orgId" TEXT;

