-- CreateTable
CREATE TABLE "Cohort" (
    "id" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "filter" JSONB NOT NULL,
    "createdById" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Cohort_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Cohort_orgId_name_key" ON "Cohort"("orgId", "name");

-- CreateIndex
CREATE INDEX "Patient_tags_idx" ON "Patient" USING GIN ("tags");

-- CreateIndex
CREATE INDEX "Patient_orgId_location_idx" ON "Patient"("orgId", "location");

-- CreateIndex
CREATE INDEX "Patient_orgId_provider_idx" ON "Patient"("orgId", "provider");

-- CreateIndex
CREATE INDEX "Patient_orgId_createdAt_idx" ON "Patient"("orgId", "createdAt");

-- AddForeignKey
ALTER TABLE "Cohort" ADD CONSTRAINT "Cohort_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Org"("id") ON DELETE CASCADE ON UPDATE CASCADE;

