-- Whose AccountAgent holds each open reservation's record. Nullable, so a Worker deployed
-- before this migration keeps reserving while it runs; the sweep reads a null as the row's own
-- account_id, which is what those reservations mean.
ALTER TABLE "open_reservations" ADD COLUMN "agent_account_id" uuid;
