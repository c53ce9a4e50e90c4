// Plain reads for when live sync is unavailable: the caller's sessions, one session's messages
// with their tool calls, and the current quota window. Owner only; others' ids are 404s.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { and, asc, desc, eq, lt } from "drizzle-orm";
import type { AppEnv } from "../app-env";
import { authenticate } from "../auth/principal";
import { agentMessages, agentSessions, agentToolCalls } from "../db/schema";
import { AppError } from "../errors";
import { isUuid } from "../lib/format";
import { currentBucket } from "../quota/buckets";
import { dailyLimit } from "../quota/tiers";
import { errorDoc, json, paging } from "../schemas/common";
import { QuotaSchema, quotaJson } from "../schemas/quota";
import { ToolCallFields, toolCallFields } from "./tool-calls";

const session = authenticate("session");
const unauthorized = { 401: errorDoc("Not signed in") } as const;

const SessionSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    message_count: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Session");

// The transcript replays calls as the model made them, so it carries their order and arguments.
const ToolCallSchema = ToolCallFields.extend({
  position: z.number().int(),
  arguments: z.string(),
});

const MessageSchema = z
  .object({
    id: z.string(),
    seq: z.number().int(),
    role: z.string(),
    content: z.string(),
    model: z.string().nullable(),
    finish_reason: z.string().nullable(),
    created_at: z.string(),
    tool_calls: z.array(ToolCallSchema),
  })
  .openapi("SessionMessage");

const listRoute = createRoute({
  method: "get",
  path: "/sessions",
  summary: "The caller's sessions, most recently active first",
  middleware: session,
  request: { query: z.object(paging) },
  responses: {
    200: json(
      z.object({ data: z.array(SessionSchema) }),
      "Sessions; pass the last updated_at as `before` for the next page",
    ),
    ...unauthorized,
  },
});

const messagesRoute = createRoute({
  method: "get",
  path: "/sessions/{id}/messages",
  summary: "One session's messages in order, each with its tool calls",
  middleware: session,
  request: { params: z.object({ id: z.string() }) },
  responses: {
    200: json(z.object({ data: z.array(MessageSchema) }), "The transcript"),
    404: errorDoc("No such session"),
    ...unauthorized,
  },
});

const quotaRoute = createRoute({
  method: "get",
  path: "/quota",
  summary: "The current quota window",
  middleware: session,
  responses: {
    200: json(QuotaSchema, "Quota"),
    ...unauthorized,
  },
});

export const sessions = new OpenAPIHono<AppEnv>()
  .openapi(listRoute, async (c) => {
    const { limit, before } = c.req.valid("query");
    const owned = eq(agentSessions.accountId, c.var.principal.accountId);
    const rows = await c.var
      .db()
      .select()
      .from(agentSessions)
      .where(and(owned, before ? lt(agentSessions.updatedAt, new Date(before)) : undefined))
      .orderBy(desc(agentSessions.updatedAt))
      .limit(limit);
    const data = rows.map((s) => ({
      id: s.id,
      title: s.title,
      message_count: s.messageCount,
      created_at: s.createdAt.toISOString(),
      updated_at: s.updatedAt.toISOString(),
    }));
    return c.json({ data }, 200);
  })
  .openapi(messagesRoute, async (c) => {
    const { id } = c.req.valid("param");
    const accountId = c.var.principal.accountId;
    const db = c.var.db();
    const [owned] = isUuid(id)
      ? await db
          .select({ id: agentSessions.id })
          .from(agentSessions)
          .where(and(eq(agentSessions.id, id), eq(agentSessions.accountId, accountId)))
      : [];
    if (!owned) throw new AppError("NOT_FOUND", "No such session");
    const [messages, calls] = await Promise.all([
      db
        .select()
        .from(agentMessages)
        .where(eq(agentMessages.sessionId, id))
        .orderBy(asc(agentMessages.seq)),
      db
        .select()
        .from(agentToolCalls)
        .where(eq(agentToolCalls.sessionId, id))
        .orderBy(asc(agentToolCalls.position)),
    ]);
    const data = messages.map((m) => ({
      id: m.id,
      seq: m.seq,
      role: m.role,
      content: m.content,
      model: m.model,
      finish_reason: m.finishReason,
      created_at: m.createdAt.toISOString(),
      tool_calls: calls
        .filter((t) => t.messageId === m.id)
        .map((t) => ({ ...toolCallFields(t), position: t.position, arguments: t.arguments })),
    }));
    return c.json({ data }, 200);
  })
  .openapi(quotaRoute, async (c) => {
    const { accountId, tier } = c.var.principal;
    const bucket = await currentBucket(c.var.db(), accountId, dailyLimit(c.var.config, tier));
    return c.json(quotaJson(bucket), 200);
  });
