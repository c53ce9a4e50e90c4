// Admin views: accounts, one account's buckets, the usage log (filtered, paginated), sessions
// (metadata only), virtual keys (never their hashes) and the audit trail.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { and, desc, eq, inArray, lt, type SQL } from "drizzle-orm";
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
import {
  AdminAccount,
  AdminAuditEntry,
  AdminBucket,
  AdminKey,
  AdminSession,
  AdminUsage,
  adminErrors,
  json,
  page,
  Tier,
} from "./schemas";

const paging = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.string().datetime().optional(),
};
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

function where(...conditions: (SQL | undefined)[]) {
  return and(...conditions.filter((c): c is SQL => c !== undefined));
}

export const adminReads = new OpenAPIHono<AppEnv>()
  .openapi(routes.me, (c) => c.json({ email: c.var.admin.email }, 200))
  .openapi(routes.accounts, async (c) => {
    const { limit, before, tier } = c.req.valid("query");
    const db = c.var.db();
    const rows = await db
      .select()
      .from(accounts)
      .where(
        where(
          tier ? eq(accounts.tier, tier) : undefined,
          before ? lt(accounts.createdAt, new Date(before)) : undefined,
        ),
      )
      .orderBy(desc(accounts.createdAt))
      .limit(limit);
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
    const { limit, before, account_id, model, status } = c.req.valid("query");
    const rows = await c.var
      .db()
      .select()
      .from(usageLog)
      .where(
        where(
          account_id ? eq(usageLog.accountId, account_id) : undefined,
          model ? eq(usageLog.model, model) : undefined,
          status ? eq(usageLog.status, status) : undefined,
          before ? lt(usageLog.createdAt, new Date(before)) : undefined,
        ),
      )
      .orderBy(desc(usageLog.createdAt))
      .limit(limit);
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
    const { limit, before, account_id } = c.req.valid("query");
    const rows = await c.var
      .db()
      .select({
        id: agentSessions.id,
        accountId: agentSessions.accountId,
        messageCount: agentSessions.messageCount,
        createdAt: agentSessions.createdAt,
        updatedAt: agentSessions.updatedAt,
      })
      .from(agentSessions)
      .where(
        where(
          account_id ? eq(agentSessions.accountId, account_id) : undefined,
          before ? lt(agentSessions.updatedAt, new Date(before)) : undefined,
        ),
      )
      .orderBy(desc(agentSessions.updatedAt))
      .limit(limit);
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
    const { limit, before, account_id } = c.req.valid("query");
    const rows = await c.var
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
      .where(
        where(
          account_id ? eq(virtualKeys.accountId, account_id) : undefined,
          before ? lt(virtualKeys.createdAt, new Date(before)) : undefined,
        ),
      )
      .orderBy(desc(virtualKeys.createdAt))
      .limit(limit);
    const data = rows.map((k) => ({
      id: k.id,
      account_id: k.accountId,
      label: k.label,
      prefix: k.prefix,
      created_at: k.createdAt.toISOString(),
      last_used_at: iso(k.lastUsedAt),
      revoked_at: iso(k.revokedAt),
    }));
    return c.json({ data }, 200);
  })
  .openapi(routes.audit, async (c) => {
    const { limit, before } = c.req.valid("query");
    const rows = await c.var
      .db()
      .select()
      .from(adminAudit)
      .where(before ? lt(adminAudit.createdAt, new Date(before)) : undefined)
      .orderBy(desc(adminAudit.createdAt))
      .limit(limit);
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
