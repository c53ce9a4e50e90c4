// /v1 with virtual keys: a live key is its account; revoked, unknown or missing keys are 401s
// in OpenAI's error shape. A key the Worker has already seen is routed from its cache, so a
// revocation, a tier change or a merge must still take effect on the very next request.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { accounts, type Tier } from "../../src/db/schema";
import { signedInWithOidc, uniqueLogin } from "./browser";
import { withDb } from "./helpers";
import {
  account,
  keyFor,
  parseSse,
  scripted,
  usageRows,
  usedTokens,
  v1,
} from "./inference-helpers";

type KeyList = { data: { last_used_at: string | null }[] };

const complete = (key: string, body: Record<string, unknown> = {}) =>
  v1("/chat/completions", key, {
    method: "POST",
    body: JSON.stringify({
      model: "gpt-5-mini",
      messages: [{ role: "user", content: scripted("hi", { reply: "ok" }) }],
      ...body,
    }),
  });

const setTier = (accountId: string, tier: Tier) =>
  withDb((db) => db.update(accounts).set({ tier }).where(eq(accounts.id, accountId)));

describe("/v1 with a virtual key", () => {
  it("lists the models the key's tier may use", async () => {
    const { browser } = await account();
    const { key } = await keyFor(browser);
    const res = await v1("/models", key);
    expect(res.status).toBe(200);
    const ids = (await res.json<{ data: { id: string }[] }>()).data.map((m) => m.id);
    expect(ids).toContain("gpt-5-mini");
    expect(ids).toContain("claude-haiku-4-5");
    expect(ids).not.toContain("claude-sonnet-4-5");
  });

  it("streams a completion metered to the key's account", async () => {
    const { browser, accountId } = await account();
    const { key } = await keyFor(browser);
    const res = await v1("/chat/completions", key, {
      method: "POST",
      body: JSON.stringify({
        model: "gpt-5-mini",
        stream: true,
        stream_options: { include_usage: true },
        max_tokens: 50,
        messages: [{ role: "user", content: scripted("hi", { reply: "from the key" }) }],
      }),
    });
    expect(res.status).toBe(200);
    expect(parseSse(await res.text()).text).toBe("from the key");
    expect((await usageRows(accountId)).map((r) => r.status)).toEqual(["ok"]);
    // The reservation records the key's use.
    const listed = await (await browser.fetch("/api/keys")).json<KeyList>();
    expect(listed.data[0]?.last_used_at).not.toBeNull();
  });

  it.each([
    ["no key", null],
    ["an unknown key", `gr_${"a".repeat(43)}`],
    ["a malformed key", "sk-not-ours"],
  ])("refuses %s with a 401 in OpenAI's shape", async (_, key) => {
    const res = await v1("/models", key);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({
      error: { type: "invalid_request_error", code: "invalid_api_key", param: null },
    });
  });

  it("refuses a revoked key", async () => {
    const { browser } = await account();
    const { id, key } = await keyFor(browser);
    expect((await v1("/models", key)).status).toBe(200);
    await browser.fetch(`/api/keys/${id}`, { method: "DELETE" });
    expect((await v1("/models", key)).status).toBe(401);
  });

  it("does not accept a session cookie in place of a key", async () => {
    const { browser } = await account();
    const res = await browser.fetch("/v1/models");
    expect(res.status).toBe(401);
  });
});

describe("a key used before (routed from the Worker's cache)", () => {
  it("is refused at once after revocation, with nothing reserved or logged", async () => {
    const { browser, accountId } = await account();
    const { id, key } = await keyFor(browser);
    expect((await complete(key)).status).toBe(200);
    const used = await usedTokens(accountId);

    await browser.fetch(`/api/keys/${id}`, { method: "DELETE" });
    const res = await complete(key);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: "invalid_api_key" } });
    expect(await usedTokens(accountId)).toBe(used);
    expect(await usageRows(accountId)).toHaveLength(1);
  });

  it("gets a raised tier's models on the next request", async () => {
    const { browser, accountId } = await account("anon");
    const { key } = await keyFor(browser);
    expect((await complete(key)).status).toBe(200);

    await setTier(accountId, "free");
    const res = await complete(key, { model: "claude-sonnet-4-5" });
    expect(res.status).toBe(200);
    expect((await usageRows(accountId)).map((r) => r.model).sort()).toEqual([
      "claude-sonnet-4-5",
      "gpt-5-mini",
    ]);
  });

  it("is held to a lowered tier's models and caps on the next request", async () => {
    const { browser, accountId } = await account("pro");
    const { key } = await keyFor(browser);
    expect((await complete(key, { model: "gpt-5", max_tokens: 100 })).status).toBe(200);

    await setTier(accountId, "anon");
    const refused = await complete(key, { model: "gpt-5", max_tokens: 100 });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: { code: "model_not_allowed" } });
    expect(await usageRows(accountId)).toHaveLength(1);

    // No max_tokens: the reservation is the prompt plus the anon cap (512 in the tests), not
    // pro's 16,384.
    // No max_tokens: the reservation is the prompt plus the anon cap (512 in the tests), not
    // pro's 16,384.
    expect((await complete(key)).status).toBe(200);
    const latest = (await usageRows(accountId)).find((r) => r.model === "gpt-5-mini");
    expect(latest?.estimatedTokens).toBeGreaterThan(512);
    expect(latest?.estimatedTokens).toBeLessThan(1_024);
  });

  it("follows its account when the account is merged into another", async () => {
    const login = uniqueLogin("keyed");
    const { me: target } = await signedInWithOidc(login);

    const { browser, accountId: anonId } = await account();
    const { key } = await keyFor(browser);
    expect((await complete(key)).status).toBe(200);

    await browser.signInWithOidc(login);
    expect((await browser.me()).account_id).toBe(target.account_id);
    const res = await complete(key);
    expect(res.status).toBe(200);
    expect(await usageRows(target.account_id)).toHaveLength(2);
    expect(await usageRows(anonId)).toHaveLength(0);
  });
});
