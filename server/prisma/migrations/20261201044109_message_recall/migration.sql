-- AlterTable
ALTER TABLE "Attachment" ADD COLUMN     "recalledById" TEXT;

-- AlterTable
ALTER TABLE "Message" ADD COLUMN     "recalledAt" TIMESTAMPTZ(3),
ADD COLUMN     "recalledById" TEXT;

