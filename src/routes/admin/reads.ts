// Admin views: accounts, one account's buckets, the usage log (filtered, paginated), sessions
// (metadata only), virtual keys (never their hashes) and the audit trail.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { and, desc, eq, inArray, type SQL, sql } from "drizzle-orm";
import type { PgColumn, PgSelect, PgTable } from "drizzle-orm/pg-core";
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

/** Admin lists page by time and id (see newestFirst). */
const adminPaging = { ...paging, before_id: z.string().uuid().optional() };

const routes = {
  accounts: get(
    "/accounts",
    "Accounts, newest first",
    { ...adminPaging, tier: Tier.optional() },
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
      ...adminPaging,
      ...accountFilter,
      model: z.string().optional(),
      status: z.enum(USAGE_STATUSES).optional(),
    },
    page(AdminUsage),
  ),
  sessions: get(
    "/sessions",
    "Sessions (metadata only), most recent first",
    { ...adminPaging, ...accountFilter },
    page(AdminSession),
  ),
  keys: get(
    "/keys",
    "Virtual keys (label and dates only)",
    { ...adminPaging, ...accountFilter },
    page(AdminKey),
  ),
  audit: get(
    "/audit",
    "The admin audit trail, newest first",
    { ...adminPaging },
    page(AdminAuditEntry),
  ),
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

/**
 * Newest first by `column`, then id. The API shows times to the millisecond and Postgres keeps
 * microseconds, so the cursor is the last row's id (`before_id`), whose exact time is looked up:
 * no row written in the same millisecond is skipped or repeated. `before` alone (the last row's
 * time as shown) still works, passing over that whole millisecond.
 */
function newestFirst<Q extends PgSelect>(
  query: Q,
  table: PgTable,
  column: PgColumn,
  id: PgColumn,
  { limit, before, before_id }: { limit: number; before?: string; before_id?: string },
  ...filters: (SQL | undefined)[]
) {
  const cursor = before_id
    ? sql`(${column}, ${id}) < (select ${column}, ${id} from ${table} where ${id} = ${before_id})`
    : before
      ? sql`${column} < date_trunc('milliseconds', ${before}::timestamptz)`
      : undefined;
  return query
    .where(and(...filters, cursor))
    .orderBy(desc(column), desc(id))
    .limit(limit);
}

export const adminReads = new OpenAPIHono<AppEnv>()
  .openapi(routes.me, (c) => c.json({ email: c.var.admin.email }, 200))
  .openapi(routes.accounts, async (c) => {
    const query = c.req.valid("query");
    const db = c.var.db();
    const rows = await newestFirst(
      db.select().from(accounts).$dynamic(),
      accounts,
      accounts.createdAt,
      accounts.id,
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
      usageLog,
      usageLog.createdAt,
      usageLog.id,
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
      agentSessions,
      agentSessions.updatedAt,
      agentSessions.id,
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
      virtualKeys,
      virtualKeys.createdAt,
      virtualKeys.id,
      query,
      matches(virtualKeys.accountId, query.account_id),
    );
    const data = rows.map((k) => ({ ...keyJson(k), account_id: k.accountId }));
    return c.json({ data }, 200);
  })
  .openapi(routes.audit, async (c) => {
    const rows = await newestFirst(
      c.var.db().select().from(adminAudit).$dynamic(),
      adminAudit,
      adminAudit.createdAt,
      adminAudit.id,
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
