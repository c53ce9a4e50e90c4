// A new account with everything a user needs from the first request: its tier, the current
// quota bucket at that tier's limit, and a virtual key. One transaction.

import { createKey } from "../auth/virtual-keys";
import type { AppConfig } from "../config";
import type { Database } from "../db/client";
import { accounts, type Tier } from "../db/schema";
import { currentBucket } from "../quota/buckets";
import { dailyLimit } from "../quota/tiers";

export async function provisionAccount(db: Database, config: AppConfig, tier: Tier) {
  return db.transaction(async (tx) => {
    const [account] = await tx.insert(accounts).values({ tier }).returning({ id: accounts.id });
    if (!account) throw new Error("account insert returned nothing");
    await currentBucket(tx, account.id, dailyLimit(config, tier));
    await createKey(tx, account.id, "default");
    return account.id;
  });
}
