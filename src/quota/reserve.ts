// The reservation: one statement that checks and takes in the same conditional UPDATE, so no
// number of concurrent requests can push used_tokens past the limit, and records the open
// reservation alongside (the settling statement removes it). A window's bucket is created on
// first use, then the statement is tried once more.
import { sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { quotaBuckets } from "../db/schema";
import { windowReset, windowStart } from "./window";

export type Reservation =
  | { ok: true; windowStart: Date; usedTokens: number; limitTokens: number }
  | { ok: false; resetAt: Date };

async function take(db: Database, id: string, accountId: string, start: Date, tokens: number) {
  const rows = await db.execute<{ used_tokens: number; limit_tokens: number }>(sql`
    with taken as (
      update quota_buckets
      set used_tokens = used_tokens + ${tokens}, updated_at = now()
      where account_id = ${accountId} and window_start = ${start.toISOString()}::timestamptz
        and used_tokens + ${tokens} <= limit_tokens
      returning used_tokens, limit_tokens
    ),
    opened as (
      insert into open_reservations (id, account_id, window_start, reserved_tokens)
      select ${id}, ${accountId}, ${start.toISOString()}::timestamptz, ${tokens} from taken
    )
    select used_tokens, limit_tokens from taken`);
  return rows[0];
}

export async function reserveTokens(
  db: Database,
  id: string,
  accountId: string,
  dailyLimit: number,
  tokens: number,
  now = new Date(),
): Promise<Reservation> {
  const start = windowStart(now);
  let row = await take(db, id, accountId, start, tokens);
  if (!row) {
    const created = await db
      .insert(quotaBuckets)
      .values({ accountId, windowStart: start, limitTokens: dailyLimit })
      .onConflictDoNothing()
      .returning({ id: quotaBuckets.id });
    if (created.length) row = await take(db, id, accountId, start, tokens);
  }
  if (!row) return { ok: false, resetAt: windowReset(start) };
  return {
    ok: true,
    windowStart: start,
    usedTokens: row.used_tokens,
    limitTokens: row.limit_tokens,
  };
}
