// GET /api/sync/:table: live sync of the caller's own rows through Electric (see sync/).
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { authenticate } from "../auth/principal";
import { AppError } from "../errors";
import { errorDoc, json, unavailableDoc } from "../schemas/common";
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
    400: errorDoc("Bad protocol parameters"),
    401: errorDoc("Not signed in"),
    404: errorDoc("Not a synced table"),
    409: json(z.array(z.unknown()), "Shape must be refetched (Electric protocol)"),
    502: errorDoc("Sync service failed"),
    503: {
      ...unavailableDoc[503],
      description:
        "Sync not configured (sync_unavailable), or the database did not answer (database_unavailable; retry after Retry-After)",
    },
    504: errorDoc("Sync service timed out"),
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
