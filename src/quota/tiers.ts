// Tiers and what each may do: tokens per UTC day (QUOTA_*_TOKENS), the largest max_tokens per
// request, concurrent streams and requests per minute (TIER_LIMITS overrides the defaults).
import { z } from "zod";
import type { AppConfig } from "../config";
import type { Tier } from "../db/schema";

export interface TierLimits {
  dailyTokens: number;
  maxTokens: number;
  concurrentStreams: number;
  requestsPerMinute: number;
}

const DEFAULTS: Record<Tier, Omit<TierLimits, "dailyTokens">> = {
  anon: { maxTokens: 2_048, concurrentStreams: 2, requestsPerMinute: 10 },
  free: { maxTokens: 4_096, concurrentStreams: 4, requestsPerMinute: 30 },
  pro: { maxTokens: 16_384, concurrentStreams: 16, requestsPerMinute: 120 },
};

const override = z
  .object({
    max_tokens: z.number().int().positive(),
    concurrent_streams: z.number().int().positive(),
    requests_per_minute: z.number().int().positive(),
  })
  .partial()
  .strict();
const overrides = z.object({ anon: override, free: override, pro: override }).partial().strict();

/** The limits table, or an error message for a bad TIER_LIMITS. */
export function resolveTierLimits(
  daily: Record<Tier, number>,
  raw: unknown,
): Record<Tier, TierLimits> | string {
  const parsed = overrides.safeParse(raw ?? {});
  if (!parsed.success) return parsed.error.issues[0]?.message ?? "invalid";
  const table = {} as Record<Tier, TierLimits>;
  for (const tier of ["anon", "free", "pro"] as const) {
    const o = parsed.data[tier] ?? {};
    table[tier] = {
      dailyTokens: daily[tier],
      maxTokens: o.max_tokens ?? DEFAULTS[tier].maxTokens,
      concurrentStreams: o.concurrent_streams ?? DEFAULTS[tier].concurrentStreams,
      requestsPerMinute: o.requests_per_minute ?? DEFAULTS[tier].requestsPerMinute,
    };
  }
  return table;
}

export function dailyLimit(config: AppConfig, tier: Tier): number {
  return config.tiers[tier].dailyTokens;
}

const RANK: Record<Tier, number> = { anon: 0, free: 1, pro: 2 };

export function tierAllows(tier: Tier, minimum: Tier): boolean {
  return RANK[tier] >= RANK[minimum];
}

/** The higher of two tiers: linking never lowers a tier. */
export function higherTier(a: Tier, b: Tier): Tier {
  return RANK[a] >= RANK[b] ? a : b;
}
