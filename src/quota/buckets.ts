// Quota buckets: one per account per window, created on first use so a new day starts fresh
// without a cron job.
import { and, eq, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { quotaBuckets } from "../db/schema";
import { windowReset, windowStart } from "./window";

type Queryable = Pick<Database, "insert" | "select" | "update" | "execute">;

export interface BucketView {
  id: string;
  windowStart: Date;
  resetAt: Date;
  usedTokens: number;
  limitTokens: number;
}

/** The account's bucket for the current window, created at `limit` if there is none yet. */
export async function currentBucket(
  db: Queryable,
  accountId: string,
  limit: number,
  now = new Date(),
): Promise<BucketView> {
  const start = windowStart(now);
  await db
    .insert(quotaBuckets)
    .values({ accountId, windowStart: start, limitTokens: limit })
    .onConflictDoNothing();
  const [row] = await db
    .select()
    .from(quotaBuckets)
    .where(and(eq(quotaBuckets.accountId, accountId), eq(quotaBuckets.windowStart, start)));
  if (!row) throw new Error(`quota bucket for ${accountId} vanished`);
  return {
    id: row.id,
    windowStart: row.windowStart,
    resetAt: windowReset(row.windowStart),
    usedTokens: row.usedTokens,
    limitTokens: row.limitTokens,
  };
}

/** Raises the current window's limit to at least `limit` (creating the bucket if needed). */
export async function raiseCurrentLimit(
  db: Queryable,
  accountId: string,
  limit: number,
  now = new Date(),
): Promise<void> {
  const start = windowStart(now);
  await db
    .insert(quotaBuckets)
    .values({ accountId, windowStart: start, limitTokens: limit })
    .onConflictDoUpdate({
      target: [quotaBuckets.accountId, quotaBuckets.windowStart],
      set: {
        limitTokens: sql`greatest(${quotaBuckets.limitTokens}, excluded.limit_tokens)`,
        updatedAt: sql`now()`,
      },
    });
}
