-- CreateTable
CREATE TABLE "ExternalInvite" (
    "id" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "conversationId" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "invitedById" TEXT NOT NULL,
    "tokenHash" TEXT,
    "sentAt" TIMESTAMPTZ(3),
    "expiresAt" TIMESTAMPTZ(3),
    "acceptedAt" TIMESTAMPTZ(3),
    "acceptedById" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ExternalInvite_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ExternalInvite_tokenHash_key" ON "ExternalInvite"("tokenHash");

-- CreateIndex
CREATE INDEX "ExternalInvite_orgId_email_idx" ON "ExternalInvite"("orgId", "email");

-- CreateIndex
CREATE UNIQUE INDEX "ExternalInvite_conversationId_email_key" ON "ExternalInvite"("conversationId", "email");

-- AddForeignKey
ALTER TABLE "ExternalInvite" ADD CONSTRAINT "ExternalInvite_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Org"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ExternalInvite" ADD CONSTRAINT "ExternalInvite_conversationId_fkey" FOREIGN KEY ("conversationId") REFERENCES "Conversation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ExternalInvite" ADD CONSTRAINT "ExternalInvite_invitedById_fkey" FOREIGN KEY ("invitedById") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

