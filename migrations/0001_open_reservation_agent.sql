-- Whose AccountAgent holds each open reservation's record; rows open before this are their own
-- account's (a merge had not moved them, or moved them before this column told them apart).
ALTER TABLE "open_reservations" ADD COLUMN "agent_account_id" uuid;--> statement-breakpoint
UPDATE "open_reservations" SET "agent_account_id" = "account_id";--> statement-breakpoint
ALTER TABLE "open_reservations" ALTER COLUMN "agent_account_id" SET NOT NULL;
