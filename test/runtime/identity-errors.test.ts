// The paths that must fail cleanly: linking twice, an identity already linked elsewhere, an
// expired anonymous session, a replayed callback, and a production Worker without its secret.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { count, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import {
  accountMerges,
  accounts,
  account as authAccount,
  session,
  user,
} from "../../src/db/schema";
import worker from "../../src/index";
import { Browser, uniqueLogin } from "./browser";
import { ORIGIN, withDb } from "./helpers";
import { rowCounts, seedHistory } from "./seed";

async function identityRows(login: string) {
  return withDb((db) =>
    db
      .select({ userId: authAccount.userId, accountId: user.accountId })
      .from(authAccount)
      .innerJoin(user, eq(user.id, authAccount.userId))
      .where(eq(authAccount.accountId, `oidc-${login}`)),
  );
}

async function totals() {
  return withDb(async (db) => {
    const [u] = await db.select({ n: count() }).from(user);
    const [a] = await db.select({ n: count() }).from(accounts);
    const [m] = await db.select({ n: count() }).from(accountMerges);
    return { users: u?.n, accounts: a?.n, merges: m?.n };
  });
}

describe("linking errors leave nothing half-written", () => {
  it("linking the same identity twice changes nothing the second time", async () => {
    const browser = new Browser();
    await browser.signInAnonymously();
    const anon = await browser.me();
    const login = uniqueLogin("twice");
    await browser.signInWithOidc(login);
    const linked = await browser.me();
    await browser.signInWithOidc(login);
    const again = await browser.me();
    expect(again.account_id).toBe(anon.account_id);
    expect(again).toMatchObject({ tier: linked.tier, providers: ["oidc"] });
    expect(await identityRows(login)).toHaveLength(1);
  });

  it("an identity already linked to another user cannot be linked to a second one", async () => {
    const owner = new Browser();
    const taken = uniqueLogin("taken");
    await owner.signInWithOidc(taken);
    const ownerMe = await owner.me();

    const other = new Browser();
    await other.signInWithOidc(uniqueLogin("other"));
    const otherMe = await other.me();

    const res = await other.fetch("/api/auth/link-social", {
      method: "POST",
      json: {
        provider: "oidc",
        callbackURL: "/",
        errorCallbackURL: "/auth-error",
        loginHint: taken,
      },
    });
    expect(res.status).toBe(200);
    const { url } = await res.json<{ url: string }>();
    const authorize = await fetch(url, { redirect: "manual" });
    const landed = await other.finishOidc(
      new URL(authorize.headers.get("location") ?? "").pathname +
        new URL(authorize.headers.get("location") ?? "").search,
    );
    expect(landed.pathname).toBe("/auth-error");
    expect(landed.searchParams.get("error")).toMatch(/already_linked|linked/i);

    const rows = await identityRows(taken);
    expect(rows).toEqual([{ userId: ownerMe.user_id, accountId: ownerMe.account_id }]);
    expect((await other.me()).account_id).toBe(otherMe.account_id);
  });

  it("an expired anonymous session is not linked: the identity gets its own account", async () => {
    const browser = new Browser();
    await browser.signInAnonymously();
    const anon = await browser.me();
    await withDb((db) => seedHistory(db, anon.account_id, 10));
    const before = await withDb((db) => rowCounts(db, anon.account_id));
    await withDb((db) =>
      db
        .update(session)
        .set({ expiresAt: sql`now() - interval '1 minute'` })
        .where(eq(session.userId, anon.user_id ?? "")),
    );
    expect((await browser.fetch("/api/me")).status).toBe(401);

    await browser.signInWithOidc(uniqueLogin("late"));
    const me = await browser.me();
    expect(me.account_id).not.toBe(anon.account_id);
    expect(me.tier).toBe("free");
    // The anonymous account is untouched: not merged, not half-moved.
    expect(await withDb((db) => rowCounts(db, anon.account_id))).toEqual(before);
    await withDb(async (db) => {
      const [acct] = await db.select().from(accounts).where(eq(accounts.id, anon.account_id));
      expect(acct?.tier).toBe("anon");
    });
  });

  it("a replayed callback is refused and changes nothing", async () => {
    const browser = new Browser();
    await browser.signInAnonymously();
    const login = uniqueLogin("replay");
    const callback = await browser.startOidc(login);
    const replayJar = browser.clone();
    const first = await browser.finishOidc(callback);
    expect(first.pathname).toBe("/");
    const me = await browser.me();
    const before = await totals();

    const replayed = await replayJar.finishOidc(callback);
    expect(replayed.searchParams.get("error")).toBeTruthy();
    expect(await totals()).toEqual(before);
    expect(await identityRows(login)).toEqual([{ userId: me.user_id, accountId: me.account_id }]);
  });
});

describe("production settings", () => {
  async function call(path: string, vars: Record<string, string>, init?: RequestInit) {
    const ctx = createExecutionContext();
    const res = await worker.fetch(new Request(`${ORIGIN}${path}`, init), { ...env, ...vars }, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  }

  it("refuses to serve without BETTER_AUTH_SECRET, with a clear error", async () => {
    const res = await call("/api/health", { ENVIRONMENT: "production", BETTER_AUTH_SECRET: "" });
    expect(res.status).toBe(500);
    const body = await res.json<{ error: { code: string; message: string } }>();
    expect(body.error.code).toBe("misconfigured");
    expect(body.error.message).toContain("BETTER_AUTH_SECRET");
  });

  it("sets Secure, __Secure- prefixed, HttpOnly, SameSite=Lax cookies", async () => {
    const res = await call(
      "/api/auth/sign-in/anonymous",
      {
        ENVIRONMENT: "production",
        BETTER_AUTH_SECRET: "a-production-grade-secret-of-sufficient-length",
      },
      {
        method: "POST",
        headers: { "content-type": "application/json", origin: ORIGIN },
        body: "{}",
      },
    );
    expect(res.status).toBe(200);
    const cookie = res.headers.getSetCookie().find((c) => c.includes("session_token="));
    expect(cookie).toMatch(/^__Secure-gradual\.session_token=/);
    expect(cookie).toMatch(/; Secure/i);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
  });
});
