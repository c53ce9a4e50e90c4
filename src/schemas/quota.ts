// The quota window as the API shows it.
import { z } from "@hono/zod-openapi";
import type { BucketView } from "../quota/buckets";

export const QuotaSchema = z
  .object({
    window_start: z.string().datetime(),
    reset_at: z.string().datetime(),
    used_tokens: z.number().int(),
    limit_tokens: z.number().int(),
  })
  .openapi("Quota");

export function quotaJson(bucket: BucketView) {
  return {
    window_start: bucket.windowStart.toISOString(),
    reset_at: bucket.resetAt.toISOString(),
    used_tokens: bucket.usedTokens,
    limit_tokens: bucket.limitTokens,
  };
}
