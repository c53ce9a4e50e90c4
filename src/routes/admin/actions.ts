// Admin actions: change an account's tier, set a bucket's limit, revoke a key. Each change and
// its admin_audit row (who, what, before, after) commit together or not at all.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { eq, sql } from "drizzle-orm";
import { requireAdmin } from "../../admin/access";
import { audit } from "../../admin/audit";
import type { AppEnv } from "../../app-env";
import { accounts, quotaBuckets, virtualKeys } from "../../db/schema";
import { AppError } from "../../errors";
import { ErrorSchema } from "../../schemas/common";
import { adminErrors, json, Tier } from "./schemas";

const UUID = z.string().uuid();
const notFound = {
  404: json(ErrorSchema, "No such target"),
  400: json(ErrorSchema, "Invalid body"),
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
      ...adminErrors,
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

export const adminActions = new OpenAPIHono<AppEnv>()
  .openapi(tierRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { tier } = c.req.valid("json");
    const result = await c.var.db().transaction(async (tx) => {
      const [before] = await tx
        .select({ tier: accounts.tier })
        .from(accounts)
        .where(eq(accounts.id, id))
        .for("update");
      if (!before) throw new AppError("NOT_FOUND", "No such account");
      await tx.update(accounts).set({ tier }).where(eq(accounts.id, id));
      const change = { id, before, after: { tier } };
      await audit(tx, c.var.admin, {
        action: "account.tier",
        targetAccountId: id,
        targetId: id,
        ...change,
      });
      return change;
    });
    return c.json(result, 200);
  })
  .openapi(limitRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { limit_tokens } = c.req.valid("json");
    const result = await c.var.db().transaction(async (tx) => {
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
      const change = { id, before: { limit_tokens: before.limit_tokens }, after: { limit_tokens } };
      await audit(tx, c.var.admin, {
        action: "bucket.limit",
        targetAccountId: before.accountId,
        targetId: id,
        ...change,
      });
      return change;
    });
    return c.json(result, 200);
  })
  .openapi(revokeRoute, async (c) => {
    const { id } = c.req.valid("param");
    const result = await c.var.db().transaction(async (tx) => {
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
      const change = {
        id,
        before: { revoked_at: before.revokedAt?.toISOString() ?? null },
        after: { revoked_at: after?.revokedAt?.toISOString() ?? null },
      };
      await audit(tx, c.var.admin, {
        action: "key.revoke",
        targetAccountId: before.accountId,
        targetId: id,
        ...change,
      });
      return change;
    });
    return c.json(result, 200);
  });
