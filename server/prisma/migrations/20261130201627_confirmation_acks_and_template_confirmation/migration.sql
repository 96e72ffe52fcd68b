-- AlterTable
ALTER TABLE "Message" ADD COLUMN     "autoReply" TEXT;

-- AlterTable
ALTER TABLE "Org" ADD COLUMN     "confirmAckReply" TEXT NOT NULL DEFAULT 'Thanks, you''re confirmed. See you soon!',
ADD COLUMN     "declineAckReply" TEXT NOT NULL DEFAULT 'Thanks for letting us know. Please call us to reschedule.';

-- AlterTable
ALTER TABLE "Template" ADD COLUMN     "requestsConfirmation" BOOLEAN NOT NULL DEFAULT false;


-- HELP replies written before this column: still exempt from the patient checks when they go out.
UPDATE "Message" SET "autoReply" = 'help' WHERE automated;
