// /v1 with virtual keys: a live key is its account; revoked, unknown or missing keys are 401s
// in OpenAI's error shape.
import { describe, expect, it } from "vitest";
import { call } from "./helpers";
import { account, parseSse, scripted, usageRows } from "./inference-helpers";

async function keyFor(browser: Awaited<ReturnType<typeof account>>["browser"]) {
  const res = await browser.fetch("/api/keys", { method: "POST", json: { label: "sdk" } });
  return res.json<{ id: string; key: string }>();
}

const v1 = (path: string, key: string | null, init: RequestInit = {}) =>
  call(`/v1${path}`, {
    ...init,
    headers: { "content-type": "application/json", ...(key && { authorization: `Bearer ${key}` }) },
  });

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
