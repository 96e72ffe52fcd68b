-- AlterTable
ALTER TABLE "DevMail" ADD COLUMN     "grantHash" TEXT;

-- CreateIndex
CREATE INDEX "DevMail_grantHash_idx" ON "DevMail"("grantHash");

