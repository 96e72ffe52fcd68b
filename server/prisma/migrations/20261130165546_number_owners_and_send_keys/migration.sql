-- DropIndex
DROP INDEX "Message_orgId_idempotencyKey_key";

-- DropIndex
DROP INDEX "PhoneNumber_e164_key";

-- CreateIndex
CREATE UNIQUE INDEX "Message_orgId_conversationId_senderId_idempotencyKey_key" ON "Message"("orgId", "conversationId", "senderId", "idempotencyKey");

-- CreateIndex
CREATE INDEX "PhoneNumber_e164_idx" ON "PhoneNumber"("e164");


-- Written by hand (Prisma cannot express a partial index, and its diff ignores this one):
-- an E.164 is active for at most one owner at a time; released rows keep their history and
-- whoever buys the number next gets a new row.
CREATE UNIQUE INDEX "PhoneNumber_e164_active_key" ON "PhoneNumber"("e164") WHERE "status" = 'active';
