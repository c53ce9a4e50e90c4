// Who is calling: a signed-in user (session cookie) or a programmatic client (virtual key),
// resolved to the app account every later route works with.
import { eq } from "drizzle-orm";
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { accounts, type Tier } from "../db/schema";
import { AppError } from "../errors";
import { accountHash } from "../lib/account-hash";
import { afterResponse } from "../middleware/database";
import { createAuth } from "./auth";
import { findKeyOwner, touchKey } from "./virtual-keys";

export interface Principal {
  accountId: string;
  /** The Better Auth user; null for virtual-key callers. */
  userId: string | null;
  tier: Tier;
  isAnonymous: boolean;
  via: "session" | "key";
  /** The signed-in user's email; null for virtual-key callers. */
  email: string | null;
}

async function fromSession(c: Context<AppEnv>): Promise<Principal | null> {
  const db = c.var.db();
  const auth = createAuth(db, c.var.config, new URL(c.req.url).origin, { withOidc: false });
  const result = await auth.api.getSession({ headers: c.req.raw.headers });
  if (!result) return null;
  const accountId = result.user.accountId;
  if (typeof accountId !== "string") return null;
  const [row] = await db
    .select({ tier: accounts.tier })
    .from(accounts)
    .where(eq(accounts.id, accountId));
  if (!row) return null;
  return {
    accountId,
    userId: result.user.id,
    tier: row.tier,
    isAnonymous: result.user.isAnonymous === true,
    via: "session",
    email: result.user.email,
  };
}

async function fromKey(c: Context<AppEnv>, key: string): Promise<Principal | null> {
  const db = c.var.db();
  const owner = await findKeyOwner(db, key);
  if (!owner) return null;
  afterResponse(
    c,
    touchKey(db, owner.keyId).catch(() => {}),
  );
  return {
    accountId: owner.accountId,
    userId: null,
    tier: owner.tier,
    isAnonymous: owner.tier === "anon",
    via: "key",
    email: null,
  };
}

function bearer(c: Context<AppEnv>): string | null {
  const header = c.req.header("authorization");
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1] ?? null;
}

/**
 * Requires a caller. `session` routes (the browser's /api) take the cookie; `key` routes
 * (/v1, OpenAI-compatible) take `Authorization: Bearer <virtual key>` and answer 401 in
 * OpenAI's shape otherwise.
 */
export function authenticate(via: "session" | "key"): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    let principal: Principal | null;
    if (via === "key") {
      const key = bearer(c);
      principal = key ? await fromKey(c, key) : null;
      if (!principal)
        throw new AppError("INVALID_API_KEY", undefined, { details: { param: null } });
    } else {
      principal = await fromSession(c);
      if (!principal) throw new AppError("UNAUTHORIZED");
    }
    c.set("principal", principal);
    c.get("logFields").account = await accountHash(principal.accountId);
    await next();
  };
}
