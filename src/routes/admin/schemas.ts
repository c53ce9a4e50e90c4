// What the admin API shows. Deliberately narrow: no key hashes, tokens, passwords or message
// text ever leave the server, because these schemas do not have room for them.
import { z } from "@hono/zod-openapi";
import { TIERS } from "../../db/schema";
import { errorDoc, unavailableDoc } from "../../schemas/common";
import { KeySchema } from "../keys";

export const Tier = z.enum(TIERS);

export const AdminAccount = z
  .object({
    id: z.string(),
    tier: Tier,
    created_at: z.string(),
    linked_at: z.string().nullable(),
    last_active_at: z.string(),
    providers: z.array(z.string()),
    emails: z.array(z.string()),
    today: z.object({ used_tokens: z.number(), limit_tokens: z.number() }).nullable(),
  })
  .openapi("AdminAccount");

export const AdminBucket = z
  .object({
    id: z.string(),
    account_id: z.string(),
    window_start: z.string(),
    used_tokens: z.number(),
    limit_tokens: z.number(),
  })
  .openapi("AdminBucket");

export const AdminUsage = z
  .object({
    id: z.string(),
    account_id: z.string(),
    session_id: z.string().nullable(),
    request_id: z.string().nullable(),
    model: z.string(),
    provider: z.string(),
    status: z.string(),
    estimated_tokens: z.number(),
    actual_tokens: z.number(),
    debited_tokens: z.number(),
    latency_ms: z.number().nullable(),
    created_at: z.string(),
  })
  .openapi("AdminUsage");

export const AdminSession = z
  .object({
    id: z.string(),
    account_id: z.string(),
    message_count: z.number(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("AdminSession");

export const AdminKey = KeySchema.extend({ account_id: z.string() }).openapi("AdminKey");

export const AdminAuditEntry = z
  .object({
    id: z.string(),
    actor_email: z.string(),
    action: z.string(),
    target_account_id: z.string().nullable(),
    target_id: z.string(),
    before: z.unknown(),
    after: z.unknown(),
    created_at: z.string(),
  })
  .openapi("AdminAuditEntry");

export const page = <T extends z.ZodTypeAny>(item: T) => z.object({ data: z.array(item) });

export const adminErrors = {
  401: errorDoc("Not signed in"),
  403: errorDoc("Not on the staff list"),
  ...unavailableDoc,
} as const;

/** Actions are writes under the session cookie: other sites' pages are refused as well. */
export const adminActionErrors = {
  ...adminErrors,
  403: errorDoc("Not on the staff list, or a cross-site request (cross_site)"),
} as const;
