// /api/auth/*: Better Auth's own endpoints (sign-in, callbacks, session, sign-out), with a rate
// limit on anonymous sign-in and without Better Auth's delete-anonymous-user endpoint.
import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { createAuth } from "../auth/auth";
import { AppError } from "../errors";

export const authRoutes = new Hono<AppEnv>()
  .post("/auth/sign-in/anonymous", async (c, next) => {
    // Cloudflare sets the header on every request it serves; without it (local development,
    // tests) there is no visitor to count.
    const visitor = c.req.header("cf-connecting-ip");
    if (visitor && !(await c.env.ANON_SIGNUPS.limit({ key: visitor })).success) {
      throw new AppError(
        "RATE_LIMITED",
        "Too many new sessions from this address; try in a minute",
        {
          headers: { "retry-after": "60" },
        },
      );
    }
    await next();
  })
  // It deletes the user but leaves the account, its history and its keys, which then live on
  // with no one to revoke them; linking removes the anonymous user itself.
  .post("/auth/delete-anonymous-user", () => {
    throw new AppError("NOT_FOUND");
  })
  .on(["GET", "POST"], "/auth/*", (c) => {
    const auth = createAuth(c.var.db(), c.var.config, new URL(c.req.url).origin, {
      withOidc: true,
    });
    return auth.handler(c.req.raw);
  });
