// Admin views: accounts, one account's buckets, the usage log (filtered, paginated), sessions
// (metadata only), virtual keys (never their hashes) and the audit trail.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { and, desc, eq, inArray, lt, type SQL } from "drizzle-orm";
import type { PgColumn, PgSelect } from "drizzle-orm/pg-core";
import { requireAdmin } from "../../admin/access";
import type { AppEnv } from "../../app-env";
import {
  account,
  accounts,
  adminAudit,
  agentSessions,
  quotaBuckets,
  USAGE_STATUSES,
  usageLog,
  user,
  virtualKeys,
} from "../../db/schema";
import { iso } from "../../lib/format";
import { windowStart } from "../../quota/window";
import { json, paging } from "../../schemas/common";
import { keyJson } from "../keys";
import {
  AdminAccount,
  AdminAuditEntry,
  AdminBucket,
  AdminKey,
  AdminSession,
  AdminUsage,
  adminErrors,
  page,
  Tier,
} from "./schemas";

const accountFilter = { account_id: z.string().uuid().optional() };

const get = <P extends string, Q extends z.ZodRawShape, R extends z.ZodTypeAny>(
  path: P,
  summary: string,
  query: Q,
  response: R,
) =>
  createRoute({
    method: "get",
    path,
    summary,
    middleware: requireAdmin,
    request: { query: z.object(query) },
    responses: { 200: json(response, summary), ...adminErrors },
  });

const routes = {
  accounts: get(
    "/accounts",
    "Accounts, newest first",
    { ...paging, tier: Tier.optional() },
    page(AdminAccount),
  ),
  buckets: get(
    "/buckets",
    "An account's quota buckets, newest window first",
    { account_id: z.string().uuid() },
    page(AdminBucket),
  ),
  usage: get(
    "/usage",
    "The usage log, newest first",
    {
      ...paging,
      ...accountFilter,
      model: z.string().optional(),
      status: z.enum(USAGE_STATUSES).optional(),
    },
    page(AdminUsage),
  ),
  sessions: get(
    "/sessions",
    "Sessions (metadata only), most recent first",
    { ...paging, ...accountFilter },
    page(AdminSession),
  ),
  keys: get(
    "/keys",
    "Virtual keys (label and dates only)",
    { ...paging, ...accountFilter },
    page(AdminKey),
  ),
  audit: get("/audit", "The admin audit trail, newest first", { ...paging }, page(AdminAuditEntry)),
  me: createRoute({
    method: "get",
    path: "/me",
    summary: "Whether the caller is an admin",
    middleware: requireAdmin,
    responses: { 200: json(z.object({ email: z.string() }), "The admin"), ...adminErrors },
  }),
};

const matches = (column: PgColumn, value: string | undefined) =>
  value ? eq(column, value) : undefined;

// `column` is both the order and the cursor, so `before` must be the last row's value of it.
function newestFirst<Q extends PgSelect>(
  query: Q,
  column: PgColumn,
  { limit, before }: { limit: number; before?: string },
  ...filters: (SQL | undefined)[]
) {
  return query
    .where(and(...filters, before ? lt(column, new Date(before)) : undefined))
    .orderBy(desc(column))
    .limit(limit);
}

export const adminReads = new OpenAPIHono<AppEnv>()
  .openapi(routes.me, (c) => c.json({ email: c.var.admin.email }, 200))
  .openapi(routes.accounts, async (c) => {
    const query = c.req.valid("query");
    const db = c.var.db();
    const rows = await newestFirst(
      db.select().from(accounts).$dynamic(),
      accounts.createdAt,
      query,
      matches(accounts.tier, query.tier),
    );
    const ids = rows.map((a) => a.id);
    const [people, links, today] = ids.length
      ? await Promise.all([
          db
            .select({ accountId: user.accountId, email: user.email, isAnonymous: user.isAnonymous })
            .from(user)
            .where(inArray(user.accountId, ids)),
          db
            .selectDistinct({ accountId: user.accountId, provider: account.providerId })
            .from(account)
            .innerJoin(user, eq(user.id, account.userId))
            .where(inArray(user.accountId, ids)),
          db
            .select()
            .from(quotaBuckets)
            .where(
              and(
                inArray(quotaBuckets.accountId, ids),
                eq(quotaBuckets.windowStart, windowStart()),
              ),
            ),
        ])
      : [[], [], []];
    const data = rows.map((a) => {
      const bucket = today.find((b) => b.accountId === a.id);
      return {
        id: a.id,
        tier: a.tier,
        created_at: a.createdAt.toISOString(),
        linked_at: iso(a.linkedAt),
        last_active_at: a.lastActiveAt.toISOString(),
        providers: links
          .filter((l) => l.accountId === a.id)
          .map((l) => l.provider)
          .sort(),
        emails: people.filter((p) => p.accountId === a.id && !p.isAnonymous).map((p) => p.email),
        today: bucket ? { used_tokens: bucket.usedTokens, limit_tokens: bucket.limitTokens } : null,
      };
    });
    return c.json({ data }, 200);
  })
  .openapi(routes.buckets, async (c) => {
    const { account_id } = c.req.valid("query");
    const rows = await c.var
      .db()
      .select()
      .from(quotaBuckets)
      .where(eq(quotaBuckets.accountId, account_id))
      .orderBy(desc(quotaBuckets.windowStart))
      .limit(60);
    const data = rows.map((b) => ({
      id: b.id,
      account_id: b.accountId,
      window_start: b.windowStart.toISOString(),
      used_tokens: b.usedTokens,
      limit_tokens: b.limitTokens,
    }));
    return c.json({ data }, 200);
  })
  .openapi(routes.usage, async (c) => {
    const query = c.req.valid("query");
    const rows = await newestFirst(
      c.var.db().select().from(usageLog).$dynamic(),
      usageLog.createdAt,
      query,
      matches(usageLog.accountId, query.account_id),
      matches(usageLog.model, query.model),
      matches(usageLog.status, query.status),
    );
    const data = rows.map((u) => ({
      id: u.id,
      account_id: u.accountId,
      session_id: u.sessionId,
      request_id: u.requestId,
      model: u.model,
      provider: u.provider,
      status: u.status,
      estimated_tokens: u.estimatedTokens,
      actual_tokens: u.actualTokens,
      debited_tokens: u.debitedTokens,
      latency_ms: u.latencyMs,
      created_at: u.createdAt.toISOString(),
    }));
    return c.json({ data }, 200);
  })
  .openapi(routes.sessions, async (c) => {
    const query = c.req.valid("query");
    const rows = await newestFirst(
      c.var
        .db()
        .select({
          id: agentSessions.id,
          accountId: agentSessions.accountId,
          messageCount: agentSessions.messageCount,
          createdAt: agentSessions.createdAt,
          updatedAt: agentSessions.updatedAt,
        })
        .from(agentSessions)
        .$dynamic(),
      agentSessions.updatedAt,
      query,
      matches(agentSessions.accountId, query.account_id),
    );
    const data = rows.map((s) => ({
      id: s.id,
      account_id: s.accountId,
      message_count: s.messageCount,
      created_at: s.createdAt.toISOString(),
      updated_at: s.updatedAt.toISOString(),
    }));
    return c.json({ data }, 200);
  })
  .openapi(routes.keys, async (c) => {
    const query = c.req.valid("query");
    // Only the columns an admin may see are read, so a hash cannot reach the response.
    const rows = await newestFirst(
      c.var
        .db()
        .select({
          id: virtualKeys.id,
          accountId: virtualKeys.accountId,
          label: virtualKeys.label,
          prefix: virtualKeys.prefix,
          createdAt: virtualKeys.createdAt,
          lastUsedAt: virtualKeys.lastUsedAt,
          revokedAt: virtualKeys.revokedAt,
        })
        .from(virtualKeys)
        .$dynamic(),
      virtualKeys.createdAt,
      query,
      matches(virtualKeys.accountId, query.account_id),
    );
    const data = rows.map((k) => ({ ...keyJson(k), account_id: k.accountId }));
    return c.json({ data }, 200);
  })
  .openapi(routes.audit, async (c) => {
    const rows = await newestFirst(
      c.var.db().select().from(adminAudit).$dynamic(),
      adminAudit.createdAt,
      c.req.valid("query"),
    );
    const data = rows.map((a) => ({
      id: a.id,
      actor_email: a.actorEmail,
      action: a.action,
      target_account_id: a.targetAccountId,
      target_id: a.targetId,
      before: a.before,
      after: a.after,
      created_at: a.createdAt.toISOString(),
    }));
    return c.json({ data }, 200);
  });
