// An account's tier and today's quota move together: a raised tier takes effect in the current
// window rather than at the next reset. A lowered tier leaves today's limit alone, so nobody
// loses tokens they were already promised.
import { eq } from "drizzle-orm";
import type { AppConfig } from "../config";
import { accounts, type Tier } from "../db/schema";
import { raiseCurrentLimit } from "../quota/buckets";
import { dailyLimit } from "../quota/tiers";

type Queryable = Parameters<typeof raiseCurrentLimit>[0];

/** Sets the tier; call inside the transaction that holds the account row's lock. */
export async function setTier(tx: Queryable, config: AppConfig, accountId: string, tier: Tier) {
  await tx.update(accounts).set({ tier }).where(eq(accounts.id, accountId));
  await raiseCurrentLimit(tx, accountId, dailyLimit(config, tier));
}
