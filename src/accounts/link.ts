// What linking an anonymous account to a Google/GitHub/OIDC identity does to app data, each
// in one transaction. Takeover: the new identity adopted the anonymous account, which is raised
// to `free`. Merge: the identity already had an account, so the anonymous one's rows move into
// it (bucket usage summed, never lost) and a redirect lets in-flight streams settle there.
import { eq, inArray, sql } from "drizzle-orm";
import type { AppConfig } from "../config";
import type { Database } from "../db/client";
import {
  accountMerges,
  accounts,
  agentMessages,
  agentSessions,
  agentToolCalls,
  openReservations,
  quotaBuckets,
  type Tier,
  usageLog,
  user,
  virtualKeys,
} from "../db/schema";
import { dailyLimit, higherTier } from "../quota/tiers";
import { setTier } from "./tier";

export async function upgradeOnLink(db: Database, config: AppConfig, accountId: string) {
  await db.transaction(async (tx) => {
    const [row] = await tx
      .select({ tier: accounts.tier })
      .from(accounts)
      .where(eq(accounts.id, accountId))
      .for("update");
    if (!row) throw new Error(`account ${accountId} not found while linking`);
    await setTier(tx, config, accountId, higherTier(row.tier, "free"));
    await tx
      .update(accounts)
      .set({ linkedAt: sql`coalesce(${accounts.linkedAt}, now())` })
      .where(eq(accounts.id, accountId));
  });
}

/** Moves everything of `from` into `into`; a no-op if `from` was already merged. */
export async function mergeAccounts(
  db: Database,
  config: AppConfig,
  { from, into }: { from: string; into: string },
) {
  await db.transaction(async (tx) => {
    // Lock both rows in id order so two concurrent links cannot deadlock each other.
    const locked = await tx
      .select({ id: accounts.id, tier: accounts.tier })
      .from(accounts)
      .where(inArray(accounts.id, [from, into]))
      .orderBy(accounts.id)
      .for("update");
    const target = locked.find((a) => a.id === into);
    if (!target) throw new Error(`account ${into} not found while merging`);
    const source = locked.find((a) => a.id === from);
    if (!source) return;

    // Whatever either account had (an admin may have raised the anonymous one), at least free.
    const tier: Tier = higherTier(higherTier(target.tier, source.tier), "free");
    // Open reservations move with the bucket usage they hold, so the streams that took them
    // settle (and the sweep finds them) under the surviving account.
    const moved = [
      agentSessions,
      agentMessages,
      agentToolCalls,
      usageLog,
      virtualKeys,
      openReservations,
    ];
    for (const table of moved) {
      await tx.update(table).set({ accountId: into }).where(eq(table.accountId, from));
    }
    await tx.execute(sql`
      insert into quota_buckets (account_id, window_start, limit_tokens, used_tokens)
      select ${into}, window_start, ${dailyLimit(config, tier)}, used_tokens
      from quota_buckets where account_id = ${from}
      on conflict (account_id, window_start)
      do update set used_tokens = quota_buckets.used_tokens + excluded.used_tokens,
                    updated_at = now()`);
    await tx.delete(quotaBuckets).where(eq(quotaBuckets.accountId, from));
    await setTier(tx, config, into, tier);
    await tx.update(user).set({ accountId: into }).where(eq(user.accountId, from));
    await tx
      .update(accountMerges)
      .set({ intoAccountId: into })
      .where(eq(accountMerges.intoAccountId, from));
    await tx.insert(accountMerges).values({ fromAccountId: from, intoAccountId: into });
    await tx
      .update(accounts)
      .set({ linkedAt: sql`coalesce(${accounts.linkedAt}, now())` })
      .where(eq(accounts.id, into));
    await tx.delete(accounts).where(eq(accounts.id, from));
  });
}
