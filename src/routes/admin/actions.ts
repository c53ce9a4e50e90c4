// Admin actions: change an account's tier, set a bucket's limit, revoke a key. Each change and
// its admin_audit row (who, what, before, after) commit together or not at all.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { eq, sql } from "drizzle-orm";
import { setTier } from "../../accounts/tier";
import { requireAdmin } from "../../admin/access";
import { audit } from "../../admin/audit";
import type { AppEnv } from "../../app-env";
import { accounts, quotaBuckets, virtualKeys } from "../../db/schema";
import { AppError } from "../../errors";
import { iso } from "../../lib/format";
import { errorDoc, json } from "../../schemas/common";
import { adminActionErrors, Tier } from "./schemas";

const UUID = z.string().uuid();
const notFound = {
  404: errorDoc("No such target"),
  400: errorDoc("Invalid body"),
};

const post = <B extends z.ZodTypeAny | undefined>(path: string, summary: string, body: B) =>
  createRoute({
    method: "post",
    path,
    summary,
    middleware: requireAdmin,
    request: {
      params: z.object({ id: UUID }),
      ...(body && { body: { required: true, content: { "application/json": { schema: body } } } }),
    },
    responses: {
      200: json(
        z.object({ id: z.string(), before: z.unknown(), after: z.unknown() }),
        "The change",
      ),
      ...notFound,
      ...adminActionErrors,
    },
  });

const tierRoute = post(
  "/accounts/{id}/tier",
  "Change an account's tier",
  z.object({ tier: Tier }).strict(),
);
const limitRoute = post(
  "/buckets/{id}/limit",
  "Set a quota bucket's limit",
  z.object({ limit_tokens: z.number().int().min(0).max(1_000_000_000) }).strict(),
);
const revokeRoute = post("/keys/{id}/revoke", "Revoke a virtual key", undefined);

type Tx = Parameters<typeof audit>[0];
interface Change {
  targetAccountId: string;
  before: unknown;
  after: unknown;
}

/**
 * Runs `change` (which locks its target row first, so `before` is what it replaced) in a
 * transaction that also writes the audit row, and answers with what changed.
 */
function audited(
  vars: AppEnv["Variables"],
  action: string,
  id: string,
  change: (tx: Tx) => Promise<Change>,
) {
  return vars.db().transaction(async (tx) => {
    const { targetAccountId, before, after } = await change(tx);
    await audit(tx, vars.admin, { action, targetAccountId, targetId: id, before, after });
    return { id, before, after };
  });
}

export const adminActions = new OpenAPIHono<AppEnv>()
  .openapi(tierRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { tier } = c.req.valid("json");
    const result = await audited(c.var, "account.tier", id, async (tx) => {
      const [before] = await tx
        .select({ tier: accounts.tier })
        .from(accounts)
        .where(eq(accounts.id, id))
        .for("update");
      if (!before) throw new AppError("NOT_FOUND", "No such account");
      await setTier(tx, c.var.config, id, tier);
      return { targetAccountId: id, before, after: { tier } };
    });
    return c.json(result, 200);
  })
  .openapi(limitRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { limit_tokens } = c.req.valid("json");
    const result = await audited(c.var, "bucket.limit", id, async (tx) => {
      const [before] = await tx
        .select({ accountId: quotaBuckets.accountId, limit_tokens: quotaBuckets.limitTokens })
        .from(quotaBuckets)
        .where(eq(quotaBuckets.id, id))
        .for("update");
      if (!before) throw new AppError("NOT_FOUND", "No such bucket");
      await tx
        .update(quotaBuckets)
        .set({ limitTokens: limit_tokens, updatedAt: sql`now()` })
        .where(eq(quotaBuckets.id, id));
      return {
        targetAccountId: before.accountId,
        before: { limit_tokens: before.limit_tokens },
        after: { limit_tokens },
      };
    });
    return c.json(result, 200);
  })
  .openapi(revokeRoute, async (c) => {
    const { id } = c.req.valid("param");
    const result = await audited(c.var, "key.revoke", id, async (tx) => {
      const [before] = await tx
        .select({ accountId: virtualKeys.accountId, revokedAt: virtualKeys.revokedAt })
        .from(virtualKeys)
        .where(eq(virtualKeys.id, id))
        .for("update");
      if (!before) throw new AppError("NOT_FOUND", "No such key");
      const [after] = await tx
        .update(virtualKeys)
        .set({ revokedAt: sql`coalesce(${virtualKeys.revokedAt}, now())` })
        .where(eq(virtualKeys.id, id))
        .returning({ revokedAt: virtualKeys.revokedAt });
      return {
        targetAccountId: before.accountId,
        before: { revoked_at: iso(before.revokedAt) },
        after: { revoked_at: iso(after?.revokedAt) },
      };
    });
    return c.json(result, 200);
  });
