// GET /api/me: who the caller is, their tier, linked providers and today's quota.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import type { AppEnv } from "../app-env";
import { authenticate } from "../auth/principal";
import { account, user } from "../db/schema";
import { currentBucket } from "../quota/buckets";
import { dailyLimit } from "../quota/tiers";
import { ErrorSchema, unavailableDoc } from "../schemas/common";
import { QuotaSchema, quotaJson } from "../schemas/quota";

const MeSchema = z
  .object({
    account_id: z.string().uuid(),
    user_id: z.string().nullable(),
    tier: z.enum(["anon", "free", "pro"]),
    is_anonymous: z.boolean(),
    name: z.string().nullable(),
    email: z.string().nullable(),
    providers: z.array(z.string()),
    quota: QuotaSchema,
  })
  .openapi("Me");

const route = createRoute({
  method: "get",
  path: "/me",
  summary: "The signed-in account: tier, linked providers, current quota window",
  middleware: authenticate("session"),
  responses: {
    200: { description: "The caller", content: { "application/json": { schema: MeSchema } } },
    401: { description: "Not signed in", content: { "application/json": { schema: ErrorSchema } } },
    ...unavailableDoc,
  },
});

export const me = new OpenAPIHono<AppEnv>().openapi(route, async (c) => {
  const { accountId, userId, tier, isAnonymous } = c.var.principal;
  const db = c.var.db();
  const [profile] = userId
    ? await db.select({ name: user.name, email: user.email }).from(user).where(eq(user.id, userId))
    : [];
  const linked = await db
    .selectDistinct({ provider: account.providerId })
    .from(account)
    .innerJoin(user, eq(user.id, account.userId))
    .where(eq(user.accountId, accountId));
  const bucket = await currentBucket(db, accountId, dailyLimit(c.var.config, tier));
  return c.json(
    {
      account_id: accountId,
      user_id: userId,
      tier,
      is_anonymous: isAnonymous,
      name: isAnonymous ? null : (profile?.name ?? null),
      email: isAnonymous ? null : (profile?.email ?? null),
      providers: linked.map((l) => l.provider).sort(),
      quota: quotaJson(bucket),
    },
    200,
  );
});
