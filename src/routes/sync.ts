// GET /api/sync/:table: live sync of the caller's own rows through Electric (see sync/).
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { authenticate } from "../auth/principal";
import { AppError } from "../errors";
import { ErrorSchema } from "../schemas/common";
import { proxyShape } from "../sync/electric-proxy";
import { isShape, SHAPES, shapeParams } from "../sync/shapes";

const route = createRoute({
  method: "get",
  path: "/sync/{table}",
  summary: "Electric shape of the caller's rows (protocol parameters only; the shape is fixed)",
  middleware: authenticate("session"),
  request: {
    params: z.object({ table: z.string() }),
    query: z
      .object({
        session_id: z.string().uuid().optional(),
        offset: z.string().optional(),
        handle: z.string().optional(),
        live: z.string().optional(),
        live_sse: z.string().optional(),
        cursor: z.string().optional(),
      })
      .passthrough(),
  },
  responses: {
    200: {
      description: `Electric's shape log (JSON array, or SSE when live_sse=true); tables: ${Object.keys(SHAPES).join(", ")}`,
      content: {
        "application/json": { schema: z.array(z.record(z.string(), z.unknown())) },
        "text/event-stream": { schema: z.string() },
      },
    },
    400: {
      description: "Bad protocol parameters",
      content: { "application/json": { schema: ErrorSchema } },
    },
    401: { description: "Not signed in", content: { "application/json": { schema: ErrorSchema } } },
    404: {
      description: "Not a synced table",
      content: { "application/json": { schema: ErrorSchema } },
    },
    409: {
      description: "Shape must be refetched (Electric protocol)",
      content: { "application/json": { schema: z.array(z.unknown()) } },
    },
    502: {
      description: "Sync service failed",
      content: { "application/json": { schema: ErrorSchema } },
    },
    503: {
      description: "Sync not configured",
      content: { "application/json": { schema: ErrorSchema } },
    },
    504: {
      description: "Sync service timed out",
      content: { "application/json": { schema: ErrorSchema } },
    },
  },
});

export const sync = new OpenAPIHono<AppEnv>().openapi(route, async (c) => {
  const { table } = c.req.valid("param");
  if (!isShape(table)) throw new AppError("NOT_FOUND", `No synced table '${table}'`);
  const electric = c.var.config.electric;
  if (!electric) throw new AppError("SYNC_UNAVAILABLE");
  const { session_id } = c.req.valid("query");
  const shape = shapeParams(table, c.var.principal.accountId, session_id);
  return proxyShape(electric, c.req.raw, shape);
});
