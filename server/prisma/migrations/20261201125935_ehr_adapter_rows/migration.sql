-- AlterTable
ALTER TABLE "EhrAdapter" ADD COLUMN     "rowSelectors" JSONB;

