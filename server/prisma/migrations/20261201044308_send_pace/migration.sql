-- CreateTable
CREATE TABLE "SendPace" (
    "fromNumber" TEXT NOT NULL,
    "nextSlotAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "SendPace_pkey" PRIMARY KEY ("fromNumber")
);

