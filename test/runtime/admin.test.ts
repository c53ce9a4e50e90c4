// The admin surface: who gets in (anonymous never; the allow-list; an empty list means anyone
// signed in during development and nobody in production), that every action leaves an audit
// row in the same transaction, and that no secret ever appears in an admin response.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
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
import worker from "../../src/index";
import { dailyLimit } from "../../src/quota/tiers";
import { windowStart } from "../../src/quota/window";
import { Browser, uniqueLogin } from "./browser";
import { withDb } from "./helpers";
import { account, chat, readSse, scripted } from "./inference-helpers";

/** A browser talking to the same Worker with some bindings replaced. */
function browserWith(vars: Record<string, string>) {
  return new Browser(async (request) => {
    const ctx = createExecutionContext();
    const res = await worker.fetch(request, { ...env, ...vars }, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  });
}

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

  it("refuses a listed address the provider did not verify", async () => {
    const listed = uniqueLogin("claimed");
    const browser = browserWith({ ADMIN_EMAILS: `${listed}@example.test` });
    await browser.signInWithOidc(`${listed}~unverified`);
    expect((await browser.me()).email).toBe(`${listed}@example.test`);
    expect((await browser.fetch("/api/admin/me")).status).toBe(403);
  });
});

describe("admin actions", () => {
  it("change tier, set a bucket limit and revoke a key, each with an audit row", async () => {
    const { browser: admin, email } = await staff();
    const { browser: owner, accountId } = await account();
    const key = await (
      await owner.fetch("/api/keys", { method: "POST", json: { label: "k" } })
    ).json<{ id: string }>();
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
