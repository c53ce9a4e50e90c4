// The caller's sessions: plain reads for when live sync is unavailable (sessions, one session's
// messages with their tool calls, the quota window), renaming and deleting. Others' ids are 404s.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { and, asc, desc, eq, lt } from "drizzle-orm";
import type { AppEnv } from "../app-env";
import { authenticate } from "../auth/principal";
import { agentMessages, agentSessions, agentToolCalls } from "../db/schema";
import { AppError } from "../errors";
import { isUuid } from "../lib/format";
import { currentBucket } from "../quota/buckets";
import { dailyLimit } from "../quota/tiers";
import { crossSiteDoc, errorDoc, json, paging, unavailableDoc } from "../schemas/common";
import { QuotaSchema, quotaJson } from "../schemas/quota";
import { ToolCallFields, toolCallFields } from "./tool-calls";

const session = authenticate("session");
const owned = (id: string, accountId: string) =>
  and(eq(agentSessions.id, id), eq(agentSessions.accountId, accountId));
const sessionErrors = { 401: errorDoc("Not signed in"), ...unavailableDoc } as const;
/** Renaming and deleting are writes: other sites' pages are refused. */
const writeErrors = { ...sessionErrors, ...crossSiteDoc } as const;

const SessionSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    message_count: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Session");

type SessionRow = typeof agentSessions.$inferSelect;
const sessionJson = (s: SessionRow) => ({
  id: s.id,
  title: s.title,
  message_count: s.messageCount,
  created_at: s.createdAt.toISOString(),
  updated_at: s.updatedAt.toISOString(),
});

// Refused rather than stored as U+FFFD: a person typed this title and should see it back as typed.
const RenameSchema = z
  .object({
    title: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .refine((t) => !t.includes("\u0000"), { message: "may not contain NUL (U+0000)" }),
  })
  .strict()
  .openapi("SessionRename");

const sessionParam = { params: z.object({ id: z.string() }) };

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
    ...sessionErrors,
  },
});

const messagesRoute = createRoute({
  method: "get",
  path: "/sessions/{id}/messages",
  summary: "One session's messages in order, each with its tool calls",
  middleware: session,
  request: sessionParam,
  responses: {
    200: json(z.object({ data: z.array(MessageSchema) }), "The transcript"),
    404: errorDoc("No such session"),
    ...sessionErrors,
  },
});

const renameRoute = createRoute({
  method: "patch",
  path: "/sessions/{id}",
  summary: "Rename a session (its place in the list, by updated_at, does not change)",
  middleware: session,
  request: {
    ...sessionParam,
    body: { required: true, content: { "application/json": { schema: RenameSchema } } },
  },
  responses: {
    200: json(SessionSchema, "The renamed session"),
    400: errorDoc("Invalid body"),
    404: errorDoc("No such session"),
    ...writeErrors,
  },
});

const deleteRoute = createRoute({
  method: "delete",
  path: "/sessions/{id}",
  summary: "Delete a session with its messages and tool calls (its usage rows stay, unlinked)",
  middleware: session,
  request: sessionParam,
  responses: {
    204: { description: "Deleted" },
    404: errorDoc("No such session"),
    ...writeErrors,
  },
});

const quotaRoute = createRoute({
  method: "get",
  path: "/quota",
  summary: "The current quota window",
  middleware: session,
  responses: {
    200: json(QuotaSchema, "Quota"),
    ...sessionErrors,
  },
});

export const sessions = new OpenAPIHono<AppEnv>()
  .openapi(listRoute, async (c) => {
    const { limit, before } = c.req.valid("query");
    const mine = eq(agentSessions.accountId, c.var.principal.accountId);
    const rows = await c.var
      .db()
      .select()
      .from(agentSessions)
      .where(and(mine, before ? lt(agentSessions.updatedAt, new Date(before)) : undefined))
      .orderBy(desc(agentSessions.updatedAt))
      .limit(limit);
    return c.json({ data: rows.map(sessionJson) }, 200);
  })
  .openapi(messagesRoute, async (c) => {
    const { id } = c.req.valid("param");
    const accountId = c.var.principal.accountId;
    const db = c.var.db();
    const [found] = isUuid(id)
      ? await db.select({ id: agentSessions.id }).from(agentSessions).where(owned(id, accountId))
      : [];
    if (!found) throw new AppError("NOT_FOUND", "No such session");
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
  .openapi(renameRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { title } = c.req.valid("json");
    if (!isUuid(id)) throw new AppError("NOT_FOUND", "No such session");
    // updated_at is left alone: renaming is not activity, and the list is ordered by it, so a
    // rename must not move the session to the top (nor shift a client's paging cursor).
    const [row] = await c.var
      .db()
      .update(agentSessions)
      .set({ title })
      .where(owned(id, c.var.principal.accountId))
      .returning();
    if (!row) throw new AppError("NOT_FOUND", "No such session");
    return c.json(sessionJson(row), 200);
  })
  .openapi(deleteRoute, async (c) => {
    const { id } = c.req.valid("param");
    if (!isUuid(id)) throw new AppError("NOT_FOUND", "No such session");
    // Messages and tool calls go with it (their foreign keys cascade); usage_log rows keep the
    // billing history with session_id set null. A stream still settling into this session
    // finds no session to continue and records its usage unlinked (account-agent/settle.ts).
    const [row] = await c.var
      .db()
      .delete(agentSessions)
      .where(owned(id, c.var.principal.accountId))
      .returning({ id: agentSessions.id });
    if (!row) throw new AppError("NOT_FOUND", "No such session");
    return c.body(null, 204);
  })
  .openapi(quotaRoute, async (c) => {
    const { accountId, tier } = c.var.principal;
    const bucket = await currentBucket(c.var.db(), accountId, dailyLimit(c.var.config, tier));
    return c.json(quotaJson(bucket), 200);
  });
