// The reservation: one conditional UPDATE that checks and takes in the same statement, so no
// number of concurrent requests can push used_tokens past the limit. A window's bucket is
// created on first use (then the UPDATE is tried once more).
import { and, eq, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { quotaBuckets } from "../db/schema";
import { windowReset, windowStart } from "./window";

export type Reservation =
  | { ok: true; bucketId: string; windowStart: Date; usedTokens: number; limitTokens: number }
  | { ok: false; resetAt: Date };

async function take(db: Database, accountId: string, start: Date, tokens: number) {
  const [row] = await db
    .update(quotaBuckets)
    .set({
      usedTokens: sql`${quotaBuckets.usedTokens} + ${tokens}`,
      updatedAt: sql`now()`,
    })
    .where(
      and(
        eq(quotaBuckets.accountId, accountId),
        eq(quotaBuckets.windowStart, start),
        sql`${quotaBuckets.usedTokens} + ${tokens} <= ${quotaBuckets.limitTokens}`,
      ),
    )
    .returning({
      id: quotaBuckets.id,
      usedTokens: quotaBuckets.usedTokens,
      limitTokens: quotaBuckets.limitTokens,
    });
  return row;
}

export async function reserveTokens(
  db: Database,
  accountId: string,
  dailyLimit: number,
  tokens: number,
  now = new Date(),
): Promise<Reservation> {
  const start = windowStart(now);
  let row = await take(db, accountId, start, tokens);
  if (!row) {
    const created = await db
      .insert(quotaBuckets)
      .values({ accountId, windowStart: start, limitTokens: dailyLimit })
      .onConflictDoNothing()
      .returning({ id: quotaBuckets.id });
    if (created.length) row = await take(db, accountId, start, tokens);
  }
  if (!row) return { ok: false, resetAt: windowReset(start) };
  return { ok: true, bucketId: row.id, windowStart: start, ...row };
}
