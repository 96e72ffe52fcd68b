-- AlterTable
ALTER TABLE "Blast" ADD COLUMN     "canceledAt" TIMESTAMPTZ(3),
ADD COLUMN     "perDay" INTEGER,
ADD COLUMN     "scheduledAt" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "User" ADD COLUMN     "phone" TEXT;

