// GET /api/health: is the Worker up and does Postgres answer, within a bounded time.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import type { AppEnv } from "../app-env";
import { loggableError } from "../db/errors";
import { AppError } from "../errors";
import { withTimeout } from "../lib/timeout";
import { unavailableDoc } from "../schemas/common";

const HEALTH_TIMEOUT_MS = 2_000;

const route = createRoute({
  method: "get",
  path: "/health",
  summary: "Liveness and database reachability",
  responses: {
    200: {
      description: "The Worker is up and Postgres answered",
      content: {
        "application/json": {
          schema: z.object({ ok: z.literal(true), db: z.literal("ok") }),
        },
      },
    },
    ...unavailableDoc,
  },
});

export const health = new OpenAPIHono<AppEnv>().openapi(route, async (c) => {
  try {
    await withTimeout(c.var.db().execute(sql`select 1`), HEALTH_TIMEOUT_MS);
  } catch (error) {
    // The reason names hosts and ports: it goes to the log, not to the caller.
    c.get("logFields").db_error = loggableError(error);
    throw new AppError("DATABASE_UNAVAILABLE");
  }
  return c.json({ ok: true as const, db: "ok" as const }, 200);
});
