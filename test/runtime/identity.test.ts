// Anonymous first, upgrade in place: sign-in provisions an account, linking keeps it (or
// merges it into the identity's existing account), and every bad path leaves nothing half-done.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import {
  accountMerges,
  accounts,
  account as authAccount,
  quotaBuckets,
  user,
  virtualKeys,
} from "../../src/db/schema";
import worker from "../../src/index";
import { windowStart } from "../../src/quota/window";
import { Browser, signedInWithOidc, uniqueLogin } from "./browser";
import { ORIGIN, withDb } from "./helpers";
import { chat, scripted } from "./inference-helpers";
import { rowCounts, seedHistory } from "./seed";

const ANON_LIMIT = 5000; // QUOTA_ANON_TOKENS in vitest.config.ts
const FREE_LIMIT = 50_000; // QUOTA_FREE_TOKENS

async function anonymous() {
  const browser = new Browser();
  const res = await browser.signInAnonymously();
  expect(res.status).toBe(200);
  return { browser, me: await browser.me() };
}

async function bucketOf(accountId: string) {
  return withDb(async (db) => {
    const [row] = await db
      .select()
      .from(quotaBuckets)
      .where(
        and(eq(quotaBuckets.accountId, accountId), eq(quotaBuckets.windowStart, windowStart())),
      );
    return row;
  });
}

describe("anonymous sign-in", () => {
  it("creates an account at tier anon with today's bucket and a hashed virtual key", async () => {
    const { browser, me } = await anonymous();
    expect(me).toMatchObject({ tier: "anon", is_anonymous: true, providers: [], email: null });
    expect(me.quota).toMatchObject({ used_tokens: 0, limit_tokens: ANON_LIMIT });
    expect(new Date(me.quota.reset_at).getTime() - new Date(me.quota.window_start).getTime()).toBe(
      86_400_000,
    );
    await withDb(async (db) => {
      const [acct] = await db.select().from(accounts).where(eq(accounts.id, me.account_id));
      expect(acct?.tier).toBe("anon");
      const [u] = await db.select().from(user).where(eq(user.accountId, me.account_id));
      expect(u).toMatchObject({ isAnonymous: true, id: me.user_id });
      const keys = await db
        .select()
        .from(virtualKeys)
        .where(eq(virtualKeys.accountId, me.account_id));
      expect(keys).toHaveLength(1);
      expect(keys[0]?.keyHash).toMatch(/^[0-9a-f]{64}$/);
    });
    const bucket = await bucketOf(me.account_id);
    expect(bucket).toMatchObject({ limitTokens: ANON_LIMIT, usedTokens: 0 });
    // The session cookie is HttpOnly and SameSite=Lax (Secure is checked in production below).
    expect(browser.cookies.has("gradual.session_token")).toBe(true);
  });

  it("sets an HttpOnly, SameSite=Lax session cookie", async () => {
    const browser = new Browser();
    const res = await browser.signInAnonymously();
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith("gradual.session_token="));
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
  });

  it("refuses a second anonymous sign-in from an anonymous session", async () => {
    const { browser, me } = await anonymous();
    const again = await browser.signInAnonymously();
    expect(again.status).toBe(400);
    expect((await browser.me()).account_id).toBe(me.account_id);
  });

  it("keeps Better Auth's origin check: a cross-site POST with the cookie is rejected", async () => {
    const { browser, me } = await anonymous();
    const res = await browser.fetch("/api/auth/sign-out", {
      method: "POST",
      json: {},
      headers: { origin: "https://evil.example" },
    });
    expect(res.status).toBe(403);
    expect((await browser.me()).account_id).toBe(me.account_id);
    // Nor can a sign-in bounce the browser to a foreign origin afterwards.
    const redirect = await browser.fetch("/api/auth/sign-in/social", {
      method: "POST",
      json: { provider: "oidc", callbackURL: "https://evil.example/steal" },
    });
    expect(redirect.status).toBe(403);
  });

  it("limits new anonymous sessions to 30 a minute per visitor, an IPv6 /64 being one", async () => {
    const production = {
      ...env,
      ENVIRONMENT: "production",
      BETTER_AUTH_SECRET: "production-secret-for-the-rate-limit-test-0123",
    };
    const signIn = async (visitor: string, bindings: typeof env = production) => {
      const ctx = createExecutionContext();
      const res = await worker.fetch(
        new Request(`${ORIGIN}/api/auth/sign-in/anonymous`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            origin: ORIGIN,
            "cf-connecting-ip": visitor,
          },
          body: "{}",
        }),
        bindings,
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return res;
    };
    // One host rotating through its /64. The limiter counts per minute of the clock: a run that
    // crossed into the next minute proves nothing, so it is run again (by another /64) in the
    // minute it crossed into, whatever the time it took.
    const minute = () => Math.floor(Date.now() / 60_000);
    let run: { statuses: number[]; refused: Response; prefix: string } | undefined;
    while (!run) {
      const started = minute();
      const prefix = `2001:db8:${crypto.randomUUID().slice(0, 4)}:7`;
      const statuses: number[] = [];
      for (let i = 1; i <= 30; i++)
        statuses.push((await signIn(`${prefix}::${i.toString(16)}`)).status);
      const refused = await signIn(`${prefix}:0:ffff:1:2`);
      if (minute() === started) run = { statuses, refused, prefix };
    }
    const { statuses, refused, prefix } = run;
    expect(statuses).toEqual(Array(30).fill(200));
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("60");
    expect(await refused.json()).toMatchObject({ error: { code: "rate_limited" } });
    // Another visitor is not held back, nor is local development (one address for everyone).
    expect((await signIn("198.51.100.9")).status).toBe(200);
    expect((await signIn(`${prefix}::99`, env)).status).toBe(200);
  });

  it("offers no way to delete the anonymous user and leave its account and keys behind", async () => {
    const { browser, me } = await anonymous();
    const res = await browser.fetch("/api/auth/delete-anonymous-user", {
      method: "POST",
      json: {},
    });
    expect(res.status).toBe(404);
    expect((await browser.me()).account_id).toBe(me.account_id);
  });

  it.each(["/api/auth/nope", "/api/auth/get-session/"])(
    "answers an auth path it does not have (%s) with a JSON 404",
    async (path) => {
      const res = await new Browser().fetch(path);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: "not_found" } });
    },
  );

  it("answers /api/me with 401 JSON when not signed in", async () => {
    const res = await new Browser().fetch("/api/me");
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { type: "authentication_error" } });
  });
});

describe("linking a new identity (takeover)", () => {
  it("after real usage, keeps the account id and every row, and raises the tier and limit", async () => {
    const { browser, me } = await anonymous();
    const res = await chat(browser, {
      max_tokens: 50,
      messages: [{ role: "user", content: scripted("hello", { reply: "hi there" }) }],
    });
    expect(res.status).toBe(200);
    await res.text();
    const used = (await browser.me()).quota.used_tokens;
    expect(used).toBeGreaterThan(0);
    const before = await withDb((db) => rowCounts(db, me.account_id));
    expect(before).toMatchObject({ sessions: 1, messages: 2, usage: 1 });

    const landed = await browser.signInWithOidc(uniqueLogin("ann"));
    expect(landed.pathname).toBe("/");

    const after = await browser.me();
    expect(after).toMatchObject({
      account_id: me.account_id,
      tier: "free",
      is_anonymous: false,
      providers: ["oidc"],
    });
    expect(after.quota).toMatchObject({ used_tokens: used, limit_tokens: FREE_LIMIT });
    expect(await withDb((db) => rowCounts(db, me.account_id))).toEqual(before);
    await withDb(async (db) => {
      // Better Auth removed the anonymous user; the account kept its id and gained a link time.
      const users = await db.select().from(user).where(eq(user.accountId, me.account_id));
      expect(users.map((u) => u.isAnonymous)).toEqual([false]);
      const [acct] = await db.select().from(accounts).where(eq(accounts.id, me.account_id));
      expect(acct?.linkedAt).toBeInstanceOf(Date);
    });
  });
});

describe("linking an identity that already has an account (merge)", () => {
  it("merges both histories with no row lost and usage summed", async () => {
    const login = uniqueLogin("bob");
    const { me: target } = await signedInWithOidc(login);
    expect(target.tier).toBe("free");
    await withDb((db) => seedHistory(db, target.account_id, 300));

    const { browser, me: anon } = await anonymous();
    await withDb((db) => seedHistory(db, anon.account_id, 250));
    const anonRows = await withDb((db) => rowCounts(db, anon.account_id));
    const targetRows = await withDb((db) => rowCounts(db, target.account_id));

    await browser.signInWithOidc(login);
    const merged = await browser.me();
    expect(merged.account_id).toBe(target.account_id);
    expect(merged.quota.used_tokens).toBe(550);
    expect(await withDb((db) => rowCounts(db, target.account_id))).toEqual({
      sessions: anonRows.sessions + targetRows.sessions,
      messages: anonRows.messages + targetRows.messages,
      toolCalls: anonRows.toolCalls + targetRows.toolCalls,
      usage: anonRows.usage + targetRows.usage,
    });
    await withDb(async (db) => {
      expect(await db.select().from(accounts).where(eq(accounts.id, anon.account_id))).toEqual([]);
      const [redirect] = await db
        .select()
        .from(accountMerges)
        .where(eq(accountMerges.fromAccountId, anon.account_id));
      expect(redirect?.intoAccountId).toBe(target.account_id);
      expect(
        await db
          .select()
          .from(user)
          .where(eq(user.id, anon.user_id ?? "")),
      ).toEqual([]);
    });
  });
});

describe("merging keeps the better tier", () => {
  it("an anonymous account an admin raised to pro stays pro in the account it joins", async () => {
    const login = uniqueLogin("carol");
    const { me: target } = await signedInWithOidc(login);
    expect(target.tier).toBe("free");

    const { browser, me: anon } = await anonymous();
    await withDb((db) =>
      db.update(accounts).set({ tier: "pro" }).where(eq(accounts.id, anon.account_id)),
    );
    await browser.signInWithOidc(login);
    const merged = await browser.me();
    expect(merged.account_id).toBe(target.account_id);
    expect(merged.tier).toBe("pro");
  });
});

describe("an issuer's claim to someone's address", () => {
  it.each([
    ["says is unverified", "~unverified"],
    ["does not say is verified (no email_verified at all)", "~unstated"],
  ])("that it %s does not sign in as the person whose address it is", async (_, claim) => {
    const login = uniqueLogin("victim");
    const { me: owner } = await signedInWithOidc(login);

    const { browser: impostor } = await anonymous();
    const landed = await impostor.signInWithOidc(`${login}${claim}`);
    expect(landed.searchParams.get("error")).toBeTruthy();
    const me = await impostor.me();
    expect(me.account_id).not.toBe(owner.account_id);
    expect(me.is_anonymous).toBe(true);
  });
});

describe("concurrent links", () => {
  it("two callbacks for the same new identity leave one account and one user", async () => {
    const { browser, me } = await anonymous();
    await withDb((db) => seedHistory(db, me.account_id, 100));
    const login = uniqueLogin("carol");
    // Two tabs (two cookie jars with the same anonymous session) start sign-in, then both
    // callbacks arrive at once.
    const [tabA, tabB] = [browser.clone(), browser.clone()];
    const callbacks = [await tabA.startOidc(login), await tabB.startOidc(login)];
    const landed = await Promise.allSettled([
      tabA.finishOidc(callbacks[0] ?? ""),
      tabB.finishOidc(callbacks[1] ?? ""),
    ]);
    expect(landed.some((r) => r.status === "fulfilled" && r.value.pathname === "/")).toBe(true);
    await withDb(async (db) => {
      const identities = await db
        .select({ userId: authAccount.userId })
        .from(authAccount)
        .where(eq(authAccount.accountId, `oidc-${login}`));
      expect(identities).toHaveLength(1);
      const [owner] = await db
        .select()
        .from(user)
        .where(eq(user.id, identities[0]?.userId ?? ""));
      expect(owner?.accountId).toBe(me.account_id);
      const [acct] = await db.select().from(accounts).where(eq(accounts.id, me.account_id));
      expect(acct?.tier).toBe("free");
    });
    expect((await withDb((db) => rowCounts(db, me.account_id))).sessions).toBe(1);
    const bucket = await bucketOf(me.account_id);
    expect(bucket).toMatchObject({ usedTokens: 100, limitTokens: FREE_LIMIT });
  });

  it("two concurrent merges into an existing account move the history exactly once", async () => {
    const login = uniqueLogin("dave");
    const { me: target } = await signedInWithOidc(login);

    const { browser, me: anon } = await anonymous();
    await withDb((db) => seedHistory(db, anon.account_id, 70));
    const [tabA, tabB] = [browser.clone(), browser.clone()];
    const callbacks = [await tabA.startOidc(login), await tabB.startOidc(login)];
    const landed = await Promise.all([
      tabA.finishOidc(callbacks[0] ?? ""),
      tabB.finishOidc(callbacks[1] ?? ""),
    ]);
    // Both tabs end up signed in to the returning account.
    expect(landed.map((u) => u.pathname)).toEqual(["/", "/"]);
    expect((await tabA.me()).account_id).toBe(target.account_id);
    expect((await tabB.me()).account_id).toBe(target.account_id);
    const rows = await withDb((db) => rowCounts(db, target.account_id));
    expect(rows).toEqual({ sessions: 1, messages: 2, toolCalls: 1, usage: 1 });
    expect((await bucketOf(target.account_id))?.usedTokens).toBe(70);
    await withDb(async (db) => {
      expect(await db.select().from(accounts).where(eq(accounts.id, anon.account_id))).toEqual([]);
    });
  });
});
