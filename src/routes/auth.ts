// /api/auth/*: Better Auth's own endpoints (sign-in, callbacks, session, sign-out), with a rate
// limit on anonymous sign-in and without Better Auth's delete-anonymous-user endpoint.
import { Hono } from "hono";
import ipaddr from "ipaddr.js";
import { tellAgent } from "../account-agent/calls";
import type { AppEnv } from "../app-env";
import { createAuth } from "../auth/auth";
import { DatabaseWatch } from "../auth/database-watch";
import { AppError } from "../errors";
import { afterResponse } from "../middleware/database";

/**
 * Who is signing in, for counting: the address, or for IPv6 its /64, which one host usually
 * holds whole (and could otherwise rotate through).
 */
export function visitorKey(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  const parsed = ipaddr.process(address);
  if (parsed.kind() === "ipv4") return parsed.toString();
  return `${parsed.toNormalizedString().split(":").slice(0, 4).join(":")}::/64`;
}

export const authRoutes = new Hono<AppEnv>()
  .post("/auth/sign-in/anonymous", async (c, next) => {
    // Cloudflare sets the header on every request it serves. Local development is not counted:
    // everything there comes from one address.
    const visitor = c.req.header("cf-connecting-ip");
    if (visitor && !c.var.config.dev) {
      const allowed = await c.env.ANON_SIGNUPS.limit({ key: visitorKey(visitor) }).then(
        (outcome) => outcome.success,
        // The limiter unavailable is no reason to turn visitors away.
        () => true,
      );
      if (!allowed) {
        throw new AppError(
          "RATE_LIMITED",
          "Too many new sessions from this address; try in a minute",
          {
            headers: { "retry-after": "60" },
          },
        );
      }
    }
    await next();
  })
  // It deletes the user but leaves the account, its history and its keys, which then live on
  // with no one to revoke them; linking removes the anonymous user itself.
  .post("/auth/delete-anonymous-user", () => {
    throw new AppError("NOT_FOUND");
  })
  .on(["GET", "POST"], "/auth/*", async (c) => {
    const watch = new DatabaseWatch();
    const auth = createAuth(c.var.db(), c.var.config, new URL(c.req.url).origin, {
      withOidc: true,
      watch,
      // The anonymous account's open tabs are sent on to the survivor's agent.
      onMerged: (from) => afterResponse(c, tellAgent(c.env, from, { type: "moved" })),
    });
    // Better Auth's own answer to a database outage (a 500, an error redirect, a sign-out that
    // kept the session) becomes the app's 503 with Retry-After.
    const res = await watch.outcome(auth.handler(c.req.raw));
    // Better Auth answers a path it does not know with an empty 404; every error here is JSON.
    if (res.status === 404 && !res.headers.get("content-type")) throw new AppError("NOT_FOUND");
    return res;
  });
