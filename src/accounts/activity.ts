// When an account was last used, which the retention job reads: anonymous accounts idle past
// ANON_RETENTION_DAYS are removed with their history. Settling a stream records it; so does any
// signed-in request (reading history, syncing, completing a tool call), at most once an hour.
import { and, eq, lt, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { accounts } from "../db/schema";

const RECORD_EVERY_MS = 60 * 60_000;

/** Whether a request now should record activity last recorded at `lastActiveAt`. */
export const activityIsStale = (lastActiveAt: Date) =>
  Date.now() - lastActiveAt.getTime() > RECORD_EVERY_MS;

export async function recordActivity(db: Database, accountId: string): Promise<void> {
  await db
    .update(accounts)
    .set({ lastActiveAt: sql`now()` })
    .where(
      and(
        eq(accounts.id, accountId),
        lt(accounts.lastActiveAt, sql`now() - make_interval(secs => ${RECORD_EVERY_MS / 1000})`),
      ),
    );
}
