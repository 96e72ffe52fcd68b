-- AlterTable
ALTER TABLE "Blast" ADD COLUMN     "patientIds" TEXT[] DEFAULT ARRAY[]::TEXT[];

