-- AlterTable
ALTER TABLE "Org" ADD COLUMN     "confirmKeywords" TEXT[] DEFAULT ARRAY['C', 'YES', 'Y', 'CONFIRM', 'CONFIRMED']::TEXT[],
ADD COLUMN     "declineKeywords" TEXT[] DEFAULT ARRAY['N', 'NO', 'DECLINE']::TEXT[];

