// The reservation: one statement that checks and takes in the same conditional UPDATE, so no
// number of concurrent requests can push used_tokens past the limit, and records the open
// reservation alongside (the settling statement removes it). The same statement checks the
// caller the Worker validated against (still this tier; the key still live and this account's),
// because the Worker may have routed on a cached key, and records the key's use. A window's
// bucket is created on first use (by this request or a concurrent one), then the statement is
// tried once more; so is a statement that found room it could not take.
import { sql } from "drizzle-orm";
import { type Database, executePrepared } from "../db/client";
import { DEADLOCK_DETECTED, FOREIGN_KEY_VIOLATION, sqlState } from "../db/errors";
import { quotaBuckets, type Tier } from "../db/schema";
import { windowReset, windowStart } from "./window";

export interface ReserveRequest {
  id: string;
  accountId: string;
  tier: Tier;
  /** The virtual key the request came with; null for a session. */
  keyHash: string | null;
  /** The limit a bucket created now starts with. */
  dailyLimit: number;
  tokens: number;
}

export type Reservation =
  | { ok: true; windowStart: Date; usedTokens: number; limitTokens: number }
  | { ok: false; reason: "quota"; resetAt: Date }
  /** More than the whole window's limit: no reset makes it fit. */
  | { ok: false; reason: "too_large"; limitTokens: number }
  /** The tier changed, or the key was revoked or moved, since the Worker looked. */
  | { ok: false; reason: "caller" };

type TakeRow = {
  caller_ok: boolean;
  used_tokens: number | null;
  limit_tokens: number | null;
  /** The bucket's limit when the tokens were not taken; null without a bucket. */
  bucket_limit: number | null;
  /** When the tokens were not taken: whether the bucket had room as the statement began. */
  had_room: boolean | null;
};

async function take(db: Database, r: ReserveRequest, start: Date): Promise<TakeRow> {
  const window = start.toISOString();
  const rows = await executePrepared<TakeRow>(
    db,
    sql`
    with caller as (
      select 1 from accounts a
      where a.id = ${r.accountId} and a.tier = ${r.tier}
        and (${r.keyHash}::text is null or exists (
          select 1 from virtual_keys k
          where k.key_hash = ${r.keyHash} and k.account_id = a.id and k.revoked_at is null))
    ),
    touched as (
      update virtual_keys set last_used_at = now()
      where key_hash = ${r.keyHash} and exists (select 1 from caller)
        and (last_used_at is null or last_used_at < now() - interval '1 minute')
    ),
    taken as (
      update quota_buckets
      set used_tokens = used_tokens + ${r.tokens}, updated_at = now()
      where account_id = ${r.accountId} and window_start = ${window}::timestamptz
        and used_tokens + ${r.tokens} <= limit_tokens and exists (select 1 from caller)
      returning used_tokens, limit_tokens
    ),
    opened as (
      insert into open_reservations (id, account_id, agent_account_id, window_start, reserved_tokens)
      select ${r.id}, ${r.accountId}, ${r.accountId}, ${window}::timestamptz, ${r.tokens} from taken
    )
    select exists (select 1 from caller) as caller_ok, taken.used_tokens, taken.limit_tokens,
      -- Read only on a refusal: Postgres runs an uncorrelated subquery when first needed.
      case when taken.used_tokens is null then (select limit_tokens from quota_buckets
        where account_id = ${r.accountId} and window_start = ${window}::timestamptz) end
        as bucket_limit,
      case when taken.used_tokens is null then (select used_tokens + ${r.tokens} <= limit_tokens
        from quota_buckets
        where account_id = ${r.accountId} and window_start = ${window}::timestamptz) end
        as had_room
    from (select 1) as one left join taken on true`,
  );
  const row = rows[0];
  if (!row) throw new Error("the reservation statement returned no row");
  return row;
}

export async function reserveTokens(
  db: Database,
  request: ReserveRequest,
  now = new Date(),
): Promise<Reservation> {
  const start = windowStart(now);
  let row: TakeRow;
  try {
    row = await take(db, request, start);
    // Not taken, yet not for want of room: there was no bucket (create it, or find the one a
    // concurrent request has just created), or the bucket changed under the statement (its
    // account merged away). Either way, look once more.
    if (row.caller_ok && row.used_tokens === null && row.had_room !== false) {
      if (row.bucket_limit === null) {
        await db
          .insert(quotaBuckets)
          .values({
            accountId: request.accountId,
            windowStart: start,
            limitTokens: request.dailyLimit,
          })
          .onConflictDoNothing();
      }
      row = await take(db, request, start);
    }
  } catch (error) {
    // The account was merged away (and deleted) while this ran: the caller has changed.
    const state = sqlState(error);
    if (state === FOREIGN_KEY_VIOLATION || state === DEADLOCK_DETECTED)
      return { ok: false, reason: "caller" };
    throw error;
  }
  if (!row.caller_ok) return { ok: false, reason: "caller" };
  if (row.bucket_limit !== null && request.tokens > row.bucket_limit)
    return { ok: false, reason: "too_large", limitTokens: row.bucket_limit };
  if (row.used_tokens === null || row.limit_tokens === null)
    return { ok: false, reason: "quota", resetAt: windowReset(start) };
  return {
    ok: true,
    windowStart: start,
    usedTokens: row.used_tokens,
    limitTokens: row.limit_tokens,
  };
}
