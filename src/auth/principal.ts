// Who is calling: a signed-in user (session cookie) or a programmatic client (virtual key),
// resolved to the app account every later route works with.
import { eq } from "drizzle-orm";
import type { Context, MiddlewareHandler } from "hono";
import { activityIsStale, recordActivity } from "../accounts/activity";
import type { AppEnv } from "../app-env";
import { accounts, type Tier } from "../db/schema";
import { AppError } from "../errors";
import { accountHash } from "../lib/account-hash";
import { afterResponse } from "../middleware/database";
import { createAuth } from "./auth";
import { DatabaseWatch } from "./database-watch";
import { cachedOwner, forgetOwner, rememberOwner } from "./key-cache";
import { refuseCrossSite } from "./same-origin";
import { findKeyOwner, hashKey, looksLikeKey, touchKey } from "./virtual-keys";

export interface Principal {
  accountId: string;
  /** The Better Auth user; null for virtual-key callers. */
  userId: string | null;
  tier: Tier;
  isAnonymous: boolean;
  via: "session" | "key";
  /** The signed-in user's verified email; null if unverified, and for virtual-key callers. */
  email: string | null;
  /** The virtual key's SHA-256, which the reservation checks again; null for sessions. */
  keyHash: string | null;
  /** Resolved from this isolate's key cache, not the database: only a routing hint. */
  cached: boolean;
}

async function fromSession(c: Context<AppEnv>): Promise<Principal | null> {
  const db = c.var.db();
  const watch = new DatabaseWatch();
  const auth = createAuth(db, c.var.config, new URL(c.req.url).origin, { withOidc: false, watch });
  // A database that cannot be reached is a 503, never "not signed in".
  const result = await watch.outcome(auth.api.getSession({ headers: c.req.raw.headers }));
  if (!result) return null;
  const accountId = result.user.accountId;
  if (typeof accountId !== "string") return null;
  const [row] = await db
    .select({ tier: accounts.tier, lastActiveAt: accounts.lastActiveAt })
    .from(accounts)
    .where(eq(accounts.id, accountId));
  if (!row) return null;
  // A person who only reads or runs code is still here: the retention job must not remove them.
  if (activityIsStale(row.lastActiveAt))
    afterResponse(
      c,
      recordActivity(db, accountId).catch(() => {}),
    );
  return {
    accountId,
    userId: result.user.id,
    tier: row.tier,
    isAnonymous: result.user.isAnonymous === true,
    via: "session",
    // An address the provider did not verify proves nothing (and must not open /admin).
    email: result.user.emailVerified ? result.user.email : null,
    keyHash: null,
    cached: false,
  };
}

/**
 * `reserving` routes read the isolate's key cache: their reservation statement checks the key
 * and tier again and records the key's use. Other routes always ask the database.
 */
async function fromKey(
  c: Context<AppEnv>,
  keyHash: string,
  reserving: boolean,
): Promise<Principal | null> {
  let owner = reserving ? cachedOwner(keyHash) : null;
  const cached = owner !== null;
  if (!owner) {
    const db = c.var.db();
    owner = await findKeyOwner(db, keyHash);
    if (!owner) return null;
    rememberOwner(keyHash, owner);
    if (!reserving)
      afterResponse(
        c,
        touchKey(db, owner.keyId).catch(() => {}),
      );
  }
  return {
    accountId: owner.accountId,
    userId: null,
    tier: owner.tier,
    isAnonymous: owner.tier === "anon",
    via: "key",
    email: null,
    keyHash,
    cached,
  };
}

/** The caller as the database sees it now, after `stale` (perhaps cached) was refused. */
export async function freshPrincipal(
  c: Context<AppEnv>,
  stale: Principal,
): Promise<Principal | null> {
  if (stale.keyHash === null) return fromSession(c);
  forgetOwner(stale.keyHash);
  return fromKey(c, stale.keyHash, true);
}

function bearer(c: Context<AppEnv>): string | null {
  const header = c.req.header("authorization");
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1] ?? null;
}

/**
 * Requires a caller. `session` routes (the browser's /api) take the cookie, and refuse writes
 * from other sites before looking at it; `key` routes (/v1, OpenAI-compatible) take
 * `Authorization: Bearer <virtual key>`, which no page can make a browser send, and answer 401
 * in OpenAI's shape otherwise. `reserving` marks routes whose reservation re-checks the key.
 */
export function authenticate(
  via: "session" | "key",
  { reserving = false } = {},
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    let principal: Principal | null;
    if (via === "key") {
      const key = bearer(c);
      principal = key && looksLikeKey(key) ? await fromKey(c, await hashKey(key), reserving) : null;
    } else {
      refuseCrossSite(c);
      principal = await fromSession(c);
    }
    await actAs(c, principal ?? unauthenticated(via));
    await next();
  };
}

/** The 401 for a missing or unknown caller (OpenAI's shape, param null, for keys). */
export function unauthenticated(via: Principal["via"]): never {
  if (via === "key") throw new AppError("INVALID_API_KEY", undefined, { details: { param: null } });
  throw new AppError("UNAUTHORIZED");
}

/** Makes `principal` the request's caller, and its account the one the log line names. */
export async function actAs(c: Context<AppEnv>, principal: Principal): Promise<void> {
  c.set("principal", principal);
  c.var.logFields.account = await accountHash(principal.accountId);
}
