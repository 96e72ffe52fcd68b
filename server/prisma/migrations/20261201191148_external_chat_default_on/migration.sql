-- New organizations may chat with people outside them by default, as the product we match documents
-- ("default for all plans"); an admin turns it off under Settings → Policies. Existing
-- organizations keep the value they have (an admin may have chosen it).
-- AlterTable
ALTER TABLE "Org" ALTER COLUMN "externalChatAllowed" SET DEFAULT true;

