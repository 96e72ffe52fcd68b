-- CreateTable
CREATE TABLE "EhrOrigin" (
    "id" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "pattern" TEXT NOT NULL,
    "createdById" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "EhrOrigin_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "EhrOrigin_orgId_pattern_key" ON "EhrOrigin"("orgId", "pattern");

