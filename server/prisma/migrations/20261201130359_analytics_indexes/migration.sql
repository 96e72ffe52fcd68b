-- Written by hand (Prisma cannot express a partial index or INCLUDE columns, and its diff ignores
-- these): Analytics → Blasts reads texts that reached the carrier by org and sentAt, and the
-- latest inbound per conversation by org and createdAt. Both are index-only scans bounded by the
-- period asked for; without them every dashboard query scanned the whole Message table
-- (`pnpm bench analytics`, 1,000,000 messages: figures in the README's benchmarks section).
CREATE INDEX "Message_analytics_sent_idx" ON "Message"("orgId", "sentAt") INCLUDE ("conversationId", "createdAt", "channel", "status", "segments", "idempotencyKey") WHERE "direction" = 'outbound' AND "sentAt" IS NOT NULL;

CREATE INDEX "Message_analytics_inbound_idx" ON "Message"("orgId", "createdAt") INCLUDE ("conversationId") WHERE "direction" = 'inbound';
