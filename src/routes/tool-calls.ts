// POST /api/tool-calls/:id/complete: the browser reports what happened to a proposed tool call
// (the code that really ran, its output, or that it was skipped). Owner only; repeating the same
// report is a harmless 200, a different one after completion is a 409. The account's other tabs
// are told (GET /api/live), so the cell shows done there too.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { and, eq, sql } from "drizzle-orm";
import { tellAgent } from "../account-agent/calls";
import type { AppEnv } from "../app-env";
import { authenticate } from "../auth/principal";
import { agentToolCalls, TOOL_CALL_STATUSES } from "../db/schema";
import { AppError } from "../errors";
import { iso, storable } from "../lib/format";
import { afterResponse } from "../middleware/database";
import { crossSiteDoc, errorDoc, json, unavailableDoc } from "../schemas/common";

export const MAX_TOOL_TEXT_BYTES = 64 * 1024;

const bounded = (what: string) =>
  z
    .string()
    .refine((s) => new TextEncoder().encode(s).length <= MAX_TOOL_TEXT_BYTES, {
      message: `${what} is larger than ${MAX_TOOL_TEXT_BYTES} bytes; truncate it`,
    })
    .transform(storable);

const CompleteSchema = z
  .object({
    status: z.enum(TOOL_CALL_STATUSES).exclude(["proposed"]),
    executed_code: bounded("executed_code").optional(),
    output: bounded("output").optional(),
  })
  .strict()
  .refine((b) => (b.status === "skipped") === (b.executed_code === undefined), {
    message: "executed_code is required for done/error and must be absent for skipped",
    path: ["executed_code"],
  })
  .openapi("ToolCallCompletion");

// Shared by the completion response and the session transcript so the two cannot drift apart.
export const ToolCallFields = z.object({
  id: z.string(),
  name: z.string(),
  status: z.enum(TOOL_CALL_STATUSES),
  proposed_code: z.string().nullable(),
  executed_code: z.string().nullable(),
  output: z.string().nullable(),
  completed_at: z.string().nullable(),
});

type Row = typeof agentToolCalls.$inferSelect;
export const toolCallFields = (r: Row) => ({
  id: r.id,
  name: r.name,
  status: r.status,
  proposed_code: r.proposedCode,
  executed_code: r.executedCode,
  output: r.output,
  completed_at: iso(r.completedAt),
});

// Reported on its own, a call needs the ids that place it; inside a transcript it sits under
// its message already.
const ToolCallSchema = ToolCallFields.extend({
  session_id: z.string(),
  message_id: z.string(),
}).openapi("ToolCall");

const toJson = (r: Row) => ({
  ...toolCallFields(r),
  session_id: r.sessionId,
  message_id: r.messageId,
});

const route = createRoute({
  method: "post",
  path: "/tool-calls/{id}/complete",
  summary: "Record the outcome of a proposed tool call (idempotent)",
  middleware: authenticate("session"),
  request: {
    params: z.object({ id: z.string().min(1).max(200) }),
    body: { required: true, content: { "application/json": { schema: CompleteSchema } } },
  },
  responses: {
    200: json(ToolCallSchema, "The tool call"),
    400: errorDoc("Invalid body"),
    401: errorDoc("Not signed in"),
    404: errorDoc("No such tool call"),
    409: errorDoc("Already completed differently"),
    413: errorDoc("Body too large"),
    ...crossSiteDoc,
    ...unavailableDoc,
  },
});

export const toolCalls = new OpenAPIHono<AppEnv>().openapi(route, async (c) => {
  const { id } = c.req.valid("param");
  const body = c.req.valid("json");
  const owned = and(
    eq(agentToolCalls.id, id),
    eq(agentToolCalls.accountId, c.var.principal.accountId),
  );
  const db = c.var.db();
  const report = {
    status: body.status,
    executedCode: body.executed_code ?? null,
    output: body.output ?? null,
  };
  // Only a proposed call changes: a second report can never overwrite the first.
  const [updated] = await db
    .update(agentToolCalls)
    .set({ ...report, completedAt: sql`now()` })
    .where(and(owned, eq(agentToolCalls.status, "proposed")))
    .returning();
  if (updated) {
    // The account's other tabs show the cell done; they reload the session when told.
    afterResponse(
      c,
      tellAgent(c.env, c.var.principal.accountId, {
        type: "changed",
        what: "tool_call",
        id: updated.id,
        session_id: updated.sessionId,
      }),
    );
    return c.json(toJson(updated), 200);
  }

  const [existing] = await db.select().from(agentToolCalls).where(owned);
  if (!existing) throw new AppError("NOT_FOUND", "No such tool call");
  const same =
    existing.status === report.status &&
    existing.executedCode === report.executedCode &&
    existing.output === report.output;
  if (!same) {
    throw new AppError("CONFLICT", `Tool call ${id} was already completed with a different result`);
  }
  return c.json(toJson(existing), 200);
});
