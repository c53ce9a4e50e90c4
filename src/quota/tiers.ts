// Tiers and their daily token limits (from configuration).
import type { AppConfig } from "../config";
import type { Tier } from "../db/schema";

export function dailyLimit(config: AppConfig, tier: Tier): number {
  return config.quota[tier];
}

const RANK: Record<Tier, number> = { anon: 0, free: 1, pro: 2 };

/** The higher of two tiers: linking never lowers a tier. */
export function higherTier(a: Tier, b: Tier): Tier {
  return RANK[a] >= RANK[b] ? a : b;
}
