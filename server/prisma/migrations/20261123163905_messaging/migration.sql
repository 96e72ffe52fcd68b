-- AlterTable
ALTER TABLE "Org" ADD COLUMN     "contactPhone" TEXT,
ADD COLUMN     "helpReply" TEXT;

-- CreateTable
CREATE TABLE "PhoneNumber" (
    "id" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "teamId" TEXT NOT NULL,
    "e164" TEXT NOT NULL,
    "carrierSid" TEXT NOT NULL,
    "locality" TEXT,
    "region" TEXT,
    "messagesPerSecond" INTEGER NOT NULL DEFAULT 1,
    "status" TEXT NOT NULL DEFAULT 'active',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "releasedAt" TIMESTAMPTZ(3),

    CONSTRAINT "PhoneNumber_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PortRequest" (
    "id" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "phoneNumber" TEXT NOT NULL,
    "currentCarrier" TEXT NOT NULL,
    "authorizedName" TEXT NOT NULL,
    "authorizedEmail" TEXT NOT NULL,
    "accountNumber" TEXT,
    "notes" TEXT,
    "status" TEXT NOT NULL DEFAULT 'submitted',
    "requestedById" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PortRequest_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SmsOptOut" (
    "id" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "phoneNumberId" TEXT NOT NULL,
    "phone" TEXT NOT NULL,
    "keyword" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SmsOptOut_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Conversation" (
    "id" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "teamId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "phoneNumberId" TEXT,
    "patientId" TEXT,
    "lastMessageAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastMessagePreview" TEXT,
    "unreadCount" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Conversation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Message" (
    "id" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "conversationId" TEXT NOT NULL,
    "direction" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "mediaUrls" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "status" TEXT NOT NULL,
    "statusRank" INTEGER NOT NULL DEFAULT 0,
    "fromNumber" TEXT,
    "toNumber" TEXT,
    "carrierSid" TEXT,
    "errorCode" TEXT,
    "errorMessage" TEXT,
    "senderId" TEXT,
    "idempotencyKey" TEXT,
    "segments" INTEGER NOT NULL DEFAULT 0,
    "encoding" TEXT,
    "sendAfter" TIMESTAMPTZ(3),
    "claimedBy" TEXT,
    "claimedAt" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "requestsConfirmation" BOOLEAN NOT NULL DEFAULT false,
    "confirmation" TEXT,
    "confirmedAt" TIMESTAMPTZ(3),
    "answersMessageId" TEXT,
    "automated" BOOLEAN NOT NULL DEFAULT false,
    "sentAt" TIMESTAMPTZ(3),
    "deliveredAt" TIMESTAMPTZ(3),
    "failedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Message_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CarrierEvent" (
    "id" TEXT NOT NULL,
    "carrier" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "messageSid" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "receivedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CarrierEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Template" (
    "id" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "teamId" TEXT,
    "name" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "createdById" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Template_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "PhoneNumber_e164_key" ON "PhoneNumber"("e164");

-- CreateIndex
CREATE UNIQUE INDEX "PhoneNumber_carrierSid_key" ON "PhoneNumber"("carrierSid");

-- CreateIndex
CREATE INDEX "PhoneNumber_orgId_idx" ON "PhoneNumber"("orgId");

-- CreateIndex
CREATE INDEX "PhoneNumber_teamId_idx" ON "PhoneNumber"("teamId");

-- CreateIndex
CREATE INDEX "PortRequest_orgId_idx" ON "PortRequest"("orgId");

-- CreateIndex
CREATE INDEX "SmsOptOut_orgId_phone_idx" ON "SmsOptOut"("orgId", "phone");

-- CreateIndex
CREATE UNIQUE INDEX "SmsOptOut_phoneNumberId_phone_key" ON "SmsOptOut"("phoneNumberId", "phone");

-- CreateIndex
CREATE INDEX "Conversation_orgId_teamId_lastMessageAt_idx" ON "Conversation"("orgId", "teamId", "lastMessageAt");

-- CreateIndex
CREATE INDEX "Conversation_patientId_idx" ON "Conversation"("patientId");

-- CreateIndex
CREATE UNIQUE INDEX "Conversation_phoneNumberId_patientId_kind_key" ON "Conversation"("phoneNumberId", "patientId", "kind");

-- CreateIndex
CREATE UNIQUE INDEX "Message_carrierSid_key" ON "Message"("carrierSid");

-- CreateIndex
CREATE INDEX "Message_conversationId_createdAt_idx" ON "Message"("conversationId", "createdAt");

-- CreateIndex
CREATE INDEX "Message_status_sendAfter_idx" ON "Message"("status", "sendAfter");

-- CreateIndex
CREATE INDEX "Message_orgId_fromNumber_createdAt_idx" ON "Message"("orgId", "fromNumber", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "Message_orgId_idempotencyKey_key" ON "Message"("orgId", "idempotencyKey");

-- CreateIndex
CREATE UNIQUE INDEX "CarrierEvent_carrier_kind_messageSid_status_key" ON "CarrierEvent"("carrier", "kind", "messageSid", "status");

-- CreateIndex
CREATE UNIQUE INDEX "Template_orgId_teamId_name_key" ON "Template"("orgId", "teamId", "name");

-- AddForeignKey
ALTER TABLE "PhoneNumber" ADD CONSTRAINT "PhoneNumber_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Org"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PhoneNumber" ADD CONSTRAINT "PhoneNumber_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Message" ADD CONSTRAINT "Message_conversationId_fkey" FOREIGN KEY ("conversationId") REFERENCES "Conversation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Template" ADD CONSTRAINT "Template_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Org"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Template" ADD CONSTRAINT "Template_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

