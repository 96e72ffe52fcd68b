import { newSecretToken } from '../auth/tokens.js';
import type { Database } from '../db/database.js';
import { withPortalToken } from './portal-link-text.js';

/**
 * The link of a portal notice SMS, made as the worker sends it: the queued notice holds only a
 * placeholder, so no usable token is ever stored, queued or not. The new link replaces every
 * earlier link of the conversation (as "Resend link" promises: only the newest link works).
 * Returns the text for the carrier, which exists in clear only on its way to the patient.
 */
export async function mintNoticeLink(db: Database, notice: { conversationId: string; body: string }, now: Date): Promise<string> {
  const { token, hash } = newSecretToken();
  await db.transaction(async (tx) => {
    await tx.query(`UPDATE "PortalLink" SET "replacedAt" = $2 WHERE "conversationId" = $1 AND "replacedAt" IS NULL`, [notice.conversationId, now]);
    const [created] = await tx.query<{ id: string }>(
      `INSERT INTO "PortalLink" (id, "orgId", "conversationId", "patientId", "tokenHash", "expiresAt", "createdAt")
       SELECT gen_random_uuid()::text, c."orgId", c.id, c."patientId", $2, $3::timestamptz + o."secureLinkExpiryHours" * interval '1 hour', $3
         FROM "Conversation" c JOIN "Org" o ON o.id = c."orgId"
        WHERE c.id = $1 AND c."patientId" IS NOT NULL
       RETURNING id`,
      [notice.conversationId, hash, now],
    );
    if (!created) throw new Error(`portal notice of conversation ${notice.conversationId}: the conversation has no patient`);
  });
  return withPortalToken(notice.body, token);
}
