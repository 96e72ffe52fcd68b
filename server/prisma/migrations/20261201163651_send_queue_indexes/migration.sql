-- Written by hand (Prisma cannot express a partial index): the send worker's claim reads the
-- outbound messages still queued, oldest first, and which numbers have any. During a 45,000-message
-- blast both scanned and sorted every queued row at every claim (a claim every second: 100-280 ms
-- for the pick, 16-72 ms for the numbers, more while the table's statistics lag behind the blast's
-- insert), so the slots the claim booked were often past by the time it answered. With these the
-- pick reads its 50 rows in createdAt order and the numbers are found by a skip scan (0.4 ms and
-- 0.3 ms on the same 45,000 rows).
CREATE INDEX "Message_send_queue_idx" ON "Message"("createdAt") WHERE "status" = 'queued' AND "direction" = 'outbound';

CREATE INDEX "Message_send_queue_number_idx" ON "Message"("fromNumber") WHERE "status" = 'queued' AND "direction" = 'outbound';
