import { type CancelReason, cancelText } from '@caretext/shared';
import type { SqlRunner } from '../db/database.js';

/**
 * Why a queued message may no longer go out. A message waits (quiet hours, a retry) and the
 * world moves on meanwhile: the number is released, the plan downgraded, the patient blocked
 * or opted out, the sender leaves the team. The worker asks again at the moment of sending.
 * The reasons, their order and their text are shared/src/message-status.ts (CANCEL_REASONS).
 */
export type Recheck = { id: string; reason: CancelReason | null; e164: string | null; releasedAt: Date | null };

/**
 * One query for a batch: the first reason (in this order) each message may not be sent.
 * The HELP reply skips the patient checks: a patient who opted out may still ask for help, and
 * the carrier rules expect an answer. Other automatic replies (a confirmation's acknowledgement)
 * obey them.
 */
export async function recheck(sql: SqlRunner, ids: string[]): Promise<Recheck[]> {
  if (!ids.length) return [];
  return sql.query<Recheck>(
    `SELECT m.id, n.e164, n."releasedAt",
            CASE
              WHEN n.id IS NULL OR n.status <> 'active' OR n."orgId" <> m."orgId" OR n.e164 <> m."fromNumber" THEN 'released'
              WHEN NOT o."smsEnabled" THEN 'plan'
              WHEN NOT o."smsAllowed" THEN 'policy'
              WHEN m."senderId" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "Membership" ms WHERE ms."orgId" = m."orgId" AND ms."userId" = m."senderId") THEN 'sender_left_org'
              WHEN m."senderId" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "TeamMember" tm WHERE tm."teamId" = c."teamId" AND tm."userId" = m."senderId") THEN 'sender_left_team'
              WHEN m."autoReply" = 'help' THEN NULL
              WHEN p."blockedAt" IS NOT NULL THEN 'blocked'
              WHEN p."optedOutAt" IS NOT NULL OR EXISTS (SELECT 1 FROM "SmsOptOut" so WHERE so."phoneNumberId" = n.id AND so.phone = m."toNumber") THEN 'opted_out'
              WHEN p.id IS NOT NULL AND p.phone IS DISTINCT FROM m."toNumber" THEN 'phone_changed'
            END AS reason
       FROM "Message" m
       JOIN "Conversation" c ON c.id = m."conversationId"
       JOIN "Org" o ON o.id = m."orgId"
       LEFT JOIN "PhoneNumber" n ON n.id = c."phoneNumberId"
       LEFT JOIN "Patient" p ON p.id = c."patientId"
      WHERE m.id = ANY($1::text[])`,
    [ids],
  );
}

/** What the thread shows under a canceled message. */
export function cancelTextOf(r: Recheck): string {
  return r.reason ? cancelText(r.reason, { number: r.e164, releasedAt: r.releasedAt }) : 'Not sent.';
}
