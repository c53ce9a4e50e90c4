// /api/auth/*: Better Auth's own endpoints (sign-in, callbacks, session, sign-out).
import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { createAuth } from "../auth/auth";

export const authRoutes = new Hono<AppEnv>().on(["GET", "POST"], "/auth/*", (c) => {
  const auth = createAuth(c.var.db(), c.var.config, new URL(c.req.url).origin, { withOidc: true });
  return auth.handler(c.req.raw);
});
