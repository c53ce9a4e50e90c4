// The paths that must fail cleanly: linking twice, an identity already linked elsewhere or
// whose address is not verified, an expired anonymous session, a replayed callback, a write
// failing part-way through sign-up or a merge, and a production Worker without its secret.
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
import { Browser, browserWhoseSignUpFails, uniqueLogin } from "./browser";
import { failWrites, ORIGIN, withDb } from "./helpers";
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

/** Links the OIDC identity `login` to the signed-in user (`link-social`); where it landed. */
async function linkSocial(browser: Browser, login: string) {
  const res = await browser.fetch("/api/auth/link-social", {
    method: "POST",
    json: { provider: "oidc", callbackURL: "/", errorCallbackURL: "/auth-error", loginHint: login },
  });
  expect(res.status).toBe(200);
  const { url } = await res.json<{ url: string }>();
  const authorize = await fetch(url, { redirect: "manual" });
  const callback = new URL(authorize.headers.get("location") ?? "");
  return browser.finishOidc(`${callback.pathname}${callback.search}`);
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

    const landed = await linkSocial(other, taken);
    expect(landed.pathname).toBe("/auth-error");
    expect(landed.searchParams.get("error")).toMatch(/already_linked|linked/i);

    const rows = await identityRows(taken);
    expect(rows).toEqual([{ userId: ownerMe.user_id, accountId: ownerMe.account_id }]);
    expect((await other.me()).account_id).toBe(otherMe.account_id);
  });

  it.each([
    ["says is unverified", "~unverified"],
    ["does not say is verified (no email_verified at all)", "~unstated"],
  ])(
    "an identity whose address the issuer %s cannot be linked to a signed-in user",
    async (_, claim) => {
      const browser = new Browser();
      await browser.signInWithOidc(uniqueLogin("linker"));
      const me = await browser.me();
      // A verified one can: the same person's second identity.
      const verified = uniqueLogin("second");
      expect((await linkSocial(browser, verified)).pathname).toBe("/");
      expect(await identityRows(verified)).toEqual([
        { userId: me.user_id, accountId: me.account_id },
      ]);

      const login = `${uniqueLogin("third")}${claim}`;
      const landed = await linkSocial(browser, login);
      expect(landed.pathname).toBe("/auth-error");
      expect(landed.searchParams.get("error")).toMatch(/unable_to_link_account/);
      expect(await identityRows(login)).toEqual([]);
      expect((await browser.me()).account_id).toBe(me.account_id);
    },
  );

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

describe("a write failing part-way leaves nothing half-written", () => {
  it("in anonymous sign-up: no account, bucket, key or user is left", async () => {
    const { browser, limit } = await browserWhoseSignUpFails();
    const [clock] = await withDb((db) => db.$client<{ now: Date }[]>`select now()`);
    const since = clock?.now ?? new Date(0);

    expect((await browser.signInAnonymously()).ok).toBe(false);
    expect(browser.cookies.size).toBe(0);
    expect((await browser.fetch("/api/me")).status).toBe(401);
    // Not its bucket, nor its account: every account made since has a bucket, which one written
    // on its own would not. Keys and users cannot outlive their account.
    const [left] = await withDb(
      (db) => db.$client`
        select
          (select count(*)::int from quota_buckets where limit_tokens = ${limit}) as buckets,
          (select count(*)::int from accounts a where created_at >= ${since}
            and not exists (select 1 from quota_buckets b where b.account_id = a.id)) as accounts`,
    );
    expect(left).toEqual({ buckets: 0, accounts: 0 });
  });

  it("in a merge: nothing moves, the person stays where they were, and linking again works", async () => {
    const login = uniqueLogin("unmerged");
    const owner = new Browser();
    await owner.signInWithOidc(login);
    const target = await owner.me();
    await withDb((db) => seedHistory(db, target.account_id, 300));
    const browser = new Browser();
    await browser.signInAnonymously();
    const anon = await browser.me();
    await withDb((db) => seedHistory(db, anon.account_id, 250));
    const before = await mergeState(anon.account_id, target.account_id);

    // Late in the merge's transaction, the redirect row for in-flight streams fails.
    const failing = await failWrites(
      "account_merges",
      "insert",
      `new.from_account_id = '${anon.account_id}'`,
    );
    await browser.fetch(await browser.startOidc(login));
    expect(await mergeState(anon.account_id, target.account_id)).toEqual(before);
    expect(await browser.me()).toMatchObject({ account_id: anon.account_id, is_anonymous: true });

    await failing.remove();
    await browser.signInWithOidc(login);
    expect((await browser.me()).account_id).toBe(target.account_id);
    expect(await withDb((db) => rowCounts(db, target.account_id))).toEqual({
      sessions: 2,
      messages: 4,
      toolCalls: 2,
      usage: 2,
    });
  });
});

/** Everything a merge of `from` into `into` would change. */
async function mergeState(from: string, into: string) {
  return withDb(async (db) => {
    const per = async (accountId: string) => {
      const [row] = await db.$client`
        select
          (select tier from accounts where id = ${accountId}) as tier,
          (select coalesce(sum(used_tokens), 0)::int from quota_buckets
            where account_id = ${accountId}) as used,
          (select count(*)::int from virtual_keys where account_id = ${accountId}) as keys,
          (select count(*)::int from "user" where account_id = ${accountId}) as users`;
      return { ...row, ...(await rowCounts(db, accountId)) };
    };
    const [merges] = await db.$client`
      select count(*)::int as n from account_merges where from_account_id = ${from}`;
    return { from: await per(from), into: await per(into), merges: merges?.n };
  });
}

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
