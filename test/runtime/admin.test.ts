// The admin surface: who gets in (anonymous never; the allow-list; an empty list means anyone
// signed in during development and nobody in production), that every action takes effect and
// leaves an audit row in the same transaction, that the usage view filters and pages, and that
// no secret ever appears in an admin response.
import { env } from "cloudflare:workers";
import { desc, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config";
import {
  adminAudit,
  account as authAccount,
  quotaBuckets,
  session,
  virtualKeys,
} from "../../src/db/schema";
import { dailyLimit } from "../../src/quota/tiers";
import { windowStart } from "../../src/quota/window";
import { Browser, browserWith, uniqueLogin } from "./browser";
import { withDb } from "./helpers";
import { account, chat, keyFor, readSse, scripted, v1 } from "./inference-helpers";
import { seedUsage } from "./seed";

async function staff(browser = new Browser()) {
  const login = uniqueLogin("staff");
  await browser.signInWithOidc(login);
  return { browser, email: `${login}@example.test`, me: await browser.me() };
}

describe("admin gating", () => {
  it("is closed to visitors without a session and to anonymous users", async () => {
    expect((await new Browser().fetch("/api/admin/me")).status).toBe(401);
    const { browser } = await account();
    const res = await browser.fetch("/api/admin/accounts");
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { type: "permission_error" } });
  });

  it("with an empty list, lets any signed-in person in during development", async () => {
    const { browser, email } = await staff();
    const res = await browser.fetch("/api/admin/me");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ email });
  });

  it("with an empty list, lets nobody in production", async () => {
    const prod = {
      ENVIRONMENT: "production",
      BETTER_AUTH_SECRET: "production-secret-for-the-admin-test-0123",
    };
    const { browser } = await staff(browserWith(prod));
    expect((await browser.fetch("/api/admin/me")).status).toBe(403);
  });

  it("with a list, lets in exactly the people on it", async () => {
    const insider = await staff(browserWith({ ADMIN_EMAILS: "Someone@Else.test" }));
    expect((await insider.browser.fetch("/api/admin/me")).status).toBe(403);
    const listed = uniqueLogin("listed");
    const browser = browserWith({
      ADMIN_EMAILS: `other@example.test, ${listed.toUpperCase()}@EXAMPLE.TEST`,
    });
    await browser.signInWithOidc(listed);
    expect((await browser.fetch("/api/admin/me")).status).toBe(200);
    // Production honours the list too.
    const prod = browserWith({
      ENVIRONMENT: "production",
      BETTER_AUTH_SECRET: "production-secret-for-the-admin-test-0123",
      ADMIN_EMAILS: `${listed}@example.test`,
    });
    await prod.signInWithOidc(listed);
    expect((await prod.fetch("/api/admin/me")).status).toBe(200);
  });

  it.each([
    ["says is unverified", "~unverified"],
    ["does not say is verified", "~unstated"],
  ])("refuses a listed address the provider %s", async (_, claim) => {
    const listed = uniqueLogin("claimed");
    const browser = browserWith({ ADMIN_EMAILS: `${listed}@example.test` });
    await browser.signInWithOidc(`${listed}${claim}`);
    expect((await browser.me()).email).toBe(`${listed}@example.test`);
    expect((await browser.fetch("/api/admin/me")).status).toBe(403);
  });
});

describe("admin actions", () => {
  it("change tier, set a bucket limit and revoke a key, each with an audit row", async () => {
    const { browser: admin, email } = await staff();
    const { browser: owner, accountId } = await account();
    const key = await keyFor(owner);
    // Used once, so the Worker routes it from its cache as well as from the database.
    const completion = () =>
      v1("/chat/completions", key.key, {
        method: "POST",
        body: JSON.stringify({
          model: "gpt-5-mini",
          max_tokens: 20,
          messages: [{ role: "user", content: scripted("hi", { reply: "ok" }) }],
        }),
      });
    expect((await completion()).status).toBe(200);
    expect((await v1("/models", key.key)).status).toBe(200);
    const [bucket] = await withDb((db) =>
      db.select().from(quotaBuckets).where(eq(quotaBuckets.accountId, accountId)),
    );

    const tier = await admin.fetch(`/api/admin/accounts/${accountId}/tier`, {
      method: "POST",
      json: { tier: "pro" },
    });
    expect(await tier.json()).toMatchObject({ before: { tier: "anon" }, after: { tier: "pro" } });
    expect((await owner.me()).tier).toBe("pro");
    // The new tier applies to today's window at once, not only after the next reset.
    expect((await owner.me()).quota.limit_tokens).toBe(dailyLimit(loadConfig(env), "pro"));
    expect(dailyLimit(loadConfig(env), "pro")).toBeGreaterThan(bucket?.limitTokens ?? 0);

    const limit = await admin.fetch(`/api/admin/buckets/${bucket?.id}/limit`, {
      method: "POST",
      json: { limit_tokens: 123_456 },
    });
    expect(await limit.json()).toMatchObject({ after: { limit_tokens: 123_456 } });
    expect((await owner.me()).quota.limit_tokens).toBe(123_456);

    const revoke = await admin.fetch(`/api/admin/keys/${key.id}/revoke`, { method: "POST" });
    expect(revoke.status).toBe(200);
    // The key is dead at once, for inference and for listing models.
    for (const res of [await completion(), await v1("/models", key.key)]) {
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: { code: "invalid_api_key" } });
    }

    const trail = await withDb((db) =>
      db
        .select()
        .from(adminAudit)
        .where(eq(adminAudit.targetAccountId, accountId))
        .orderBy(desc(adminAudit.createdAt)),
    );
    expect(trail.map((a) => a.action).sort()).toEqual([
      "account.tier",
      "bucket.limit",
      "key.revoke",
    ]);
    expect(trail.every((a) => a.actorEmail === email)).toBe(true);
    expect(trail.find((a) => a.action === "account.tier")).toMatchObject({
      before: { tier: "anon" },
      after: { tier: "pro" },
    });
  });

  it("writes nothing for an unknown target or a bad body", async () => {
    const { browser: admin } = await staff();
    const { accountId } = await account();
    const before = await withDb((db) => db.select().from(adminAudit));
    expect(
      (
        await admin.fetch(`/api/admin/accounts/${crypto.randomUUID()}/tier`, {
          method: "POST",
          json: { tier: "pro" },
        })
      ).status,
    ).toBe(404);
    expect(
      (
        await admin.fetch(`/api/admin/accounts/${accountId}/tier`, {
          method: "POST",
          json: { tier: "god" },
        })
      ).status,
    ).toBe(400);
    expect(
      (await admin.fetch(`/api/admin/keys/not-a-uuid/revoke`, { method: "POST" })).status,
    ).toBe(400);
    expect(await withDb((db) => db.select().from(adminAudit))).toHaveLength(before.length);
  });
});

describe("the usage view", () => {
  type UsagePage = { data: { id: string; created_at: string }[] };
  const ids = async (admin: Browser, query: string) => {
    const res = await admin.fetch(`/api/admin/usage?${query}`);
    expect(res.status).toBe(200);
    return (await res.json<UsagePage>()).data.map((u) => u.id);
  };
  /** Times `n` seconds into the last hour: recent, so the retention job leaves them alone. */
  const lastHour = () => {
    const start = Date.now() - 3_600_000;
    return (n: number) => new Date(start + n * 1_000).toISOString();
  };

  it("shows only the rows that match every filter", async () => {
    const { browser: admin } = await staff();
    const at = lastHour();
    const [{ accountId: mine }, { accountId: other }] = [await account(), await account()];
    const [miniOk, miniAborted, haikuOk, haikuTimeout] = await withDb((db) =>
      seedUsage(db, mine, [
        { model: "gpt-5-mini", status: "ok", at: at(4) },
        { model: "gpt-5-mini", status: "aborted", at: at(3) },
        { model: "claude-haiku-4-5", status: "ok", at: at(2) },
        { model: "claude-haiku-4-5", status: "timeout", at: at(1) },
      ]),
    );
    // Another account's row, which matches every other filter.
    await withDb((db) => seedUsage(db, other, [{ model: "gpt-5-mini", status: "ok", at: at(5) }]));

    const mineOnly = `account_id=${mine}`;
    expect(await ids(admin, mineOnly)).toEqual([miniOk, miniAborted, haikuOk, haikuTimeout]);
    expect(await ids(admin, `${mineOnly}&model=gpt-5-mini`)).toEqual([miniOk, miniAborted]);
    expect(await ids(admin, `${mineOnly}&status=ok`)).toEqual([miniOk, haikuOk]);
    expect(await ids(admin, `${mineOnly}&status=ok&model=claude-haiku-4-5`)).toEqual([haikuOk]);
    expect(await ids(admin, `${mineOnly}&status=settled_by_sweep`)).toEqual([]);
  });

  /** Every page of the account's usage, `limit` rows at a time, each after the last's `before`. */
  async function allPages(admin: Browser, accountId: string, limit: number) {
    const pages: string[][] = [];
    let before = "";
    for (;;) {
      const res = await admin.fetch(
        `/api/admin/usage?account_id=${accountId}&limit=${limit}${before}`,
      );
      const { data } = await res.json<UsagePage>();
      if (!data.length) return pages;
      pages.push(data.map((u) => u.id));
      before = `&before=${data.at(-1)?.created_at}&before_id=${data.at(-1)?.id}`;
    }
  }

  it("pages with `before` through every row, newest first, none twice", async () => {
    const { browser: admin } = await staff();
    const { accountId } = await account();
    const at = lastHour();
    const seeded = await withDb((db) =>
      seedUsage(
        db,
        accountId,
        [5, 4, 3, 2, 1].map((n) => ({ model: "gpt-5-mini", status: "ok", at: at(n) })),
      ),
    );
    expect(await allPages(admin, accountId, 2)).toEqual([
      seeded.slice(0, 2),
      seeded.slice(2, 4),
      seeded.slice(4),
    ]);
  });

  // BUG: a page's cursor is its last row's created_at to the millisecond (a JavaScript Date),
  // while Postgres keeps microseconds, and `before` is compared with `<`: a row logged earlier
  // in the same millisecond as the cursor's row is on neither page. Two settlements of an
  // account that close together are ordinary under load.
  it("pages past rows logged within the same millisecond", async () => {
    const { browser: admin } = await staff();
    const { accountId } = await account();
    const at = lastHour();
    const millisecond = at(1).replace("Z", "");
    const seeded = await withDb((db) =>
      seedUsage(db, accountId, [
        { model: "gpt-5-mini", status: "ok", at: `${millisecond}700Z` },
        { model: "gpt-5-mini", status: "ok", at: `${millisecond}300Z` },
      ]),
    );
    expect(await allPages(admin, accountId, 1)).toEqual([[seeded[0]], [seeded[1]]]);
  });
});

describe("admin responses", () => {
  it("never contain a key, key hash, session token, OAuth token or secret", async () => {
    const { browser: admin, me: adminMe } = await staff();
    const { browser: owner, accountId } = await account();
    const created = await (
      await owner.fetch("/api/keys", { method: "POST", json: { label: "leak-check" } })
    ).json<{ id: string; key: string }>();
    const res = await chat(owner, {
      stream: true,
      max_tokens: 20,
      messages: [{ role: "user", content: scripted("hi", { reply: "yo" }) }],
    });
    await readSse(res);

    const secrets = await withDb(async (db) => {
      const hashes = (await db.select({ h: virtualKeys.keyHash }).from(virtualKeys)).map(
        (r) => r.h,
      );
      const tokens = (await db.select({ t: session.token }).from(session)).map((r) => r.t);
      const oauth = (
        await db
          .select({
            a: authAccount.accessToken,
            r: authAccount.refreshToken,
            i: authAccount.idToken,
          })
          .from(authAccount)
          .where(eq(authAccount.userId, adminMe.user_id ?? ""))
      ).flatMap((r) => [r.a, r.r, r.i]);
      return [created.key, ...hashes, ...tokens, ...oauth].filter((s): s is string => Boolean(s));
    });
    expect(secrets.length).toBeGreaterThan(4);

    const [bucket] = await withDb((db) =>
      db.select().from(quotaBuckets).where(eq(quotaBuckets.windowStart, windowStart())).limit(1),
    );
    const responses = await Promise.all(
      [
        "/api/admin/me",
        "/api/admin/accounts",
        "/api/admin/accounts?tier=anon",
        `/api/admin/buckets?account_id=${accountId}`,
        "/api/admin/usage",
        `/api/admin/usage?account_id=${accountId}&status=ok&model=gpt-5-mini`,
        "/api/admin/sessions",
        "/api/admin/keys",
        `/api/admin/keys?account_id=${accountId}`,
        "/api/admin/audit",
      ].map((path) => admin.fetch(path)),
    );
    responses.push(await admin.fetch(`/api/admin/keys/${created.id}/revoke`, { method: "POST" }));
    responses.push(
      await admin.fetch(`/api/admin/buckets/${bucket?.id}/limit`, {
        method: "POST",
        json: { limit_tokens: 99_999 },
      }),
    );
    responses.push(await admin.fetch("/api/admin/audit"));

    for (const response of responses) {
      expect(response.status).toBe(200);
      const text = JSON.stringify([...response.headers]) + (await response.text());
      for (const secret of secrets) expect(text).not.toContain(secret);
      expect(text).not.toMatch(
        /key_hash|keyHash|access_token|refresh_token|id_token|password|"token"/,
      );
    }
  });
});
