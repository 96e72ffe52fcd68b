-- AlterTable
ALTER TABLE "Conversation" ADD COLUMN     "startedById" TEXT;


-- Internal chats made before this column: their starter was the actor of the chat's
-- `conversation.started` audit event, written in the same transaction as the conversation.
UPDATE "Conversation" c
   SET "startedById" = (SELECT a."actorId" FROM "AuditEvent" a
                         WHERE a."action" = 'conversation.started' AND a."targetType" = 'conversation' AND a."targetId" = c."id"
                         ORDER BY a."createdAt" LIMIT 1)
 WHERE c."kind" = 'internal';
