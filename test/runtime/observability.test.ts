// What `wrangler tail` shows: one JSON line per request and one per reconcile, joined by the
// request id, with the account as a hash, tokens, provider, upstream latency and outcome; never
// prompt text, keys or account ids.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { hashKey } from "../../src/auth/virtual-keys";
import worker from "../../src/index";
import { Browser, browserWhoseSignUpFails, uniqueLogin } from "./browser";
import { call, captureLogs, ORIGIN } from "./helpers";
import { account, eventually, parseSse, scripted, usageRows } from "./inference-helpers";

describe("log lines", () => {
  it("of a database that fails carry no statement parameters (key hashes, tokens, emails)", async () => {
    // A well-formed key, so the Worker looks it up.
    const key = `gr_${"k".repeat(43)}`;
    const keyHash = await hashKey(key);
    const broken = {
      ...env,
      HYPERDRIVE: { ...env.HYPERDRIVE, connectionString: "postgres://u:p@127.0.0.1:9/db" },
    };
    const { lines, result } = await captureLogs(async () => {
      const ctx = createExecutionContext();
      const res = await worker.fetch(
        new Request(`${ORIGIN}/v1/models`, { headers: { authorization: `Bearer ${key}` } }),
        broken as typeof env,
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return res;
    });
    expect(result.status).toBe(503);
    expect(await result.json()).toMatchObject({ error: { code: "database_unavailable" } });
    expect(lines.some((l) => l.includes('"msg":"database unavailable"'))).toBe(true);
    for (const line of lines) {
      expect(line).not.toContain(keyHash);
      expect(line).not.toContain(key);
    }

    // Better Auth's own lines too: a sign-in refused on a duplicate address.
    const login = uniqueLogin("logged");
    await new Browser().signInWithOidc(login);
    const impostor = await captureLogs(() => new Browser().signInWithOidc(`${login}~unverified`));
    const authLines = impostor.lines.filter((l) => l.includes('"msg":"auth: '));
    expect(authLines.length).toBeGreaterThan(0);
    for (const line of impostor.lines) expect(line).not.toContain(`${login}@example.test`);
  });

  // BUG: a statement that fails inside a Better Auth endpoint reaches the console whole. Better
  // Auth's own logger is reduced (src/auth/auth.ts), but for an error that is not an APIError
  // better-call's router then prints `# SERVER_ERROR: <error>`, and drizzle's error carries the
  // statement with its parameters: here the new virtual key's hash and prefix and the account
  // id; in a failed merge, both account ids.
  it("of a statement failing inside sign-in carry no statement parameters", async () => {
    const { browser } = await browserWhoseSignUpFails();
    const { lines, result } = await captureLogs(() => browser.signInAnonymously());
    expect(result.ok).toBe(false);
    // A key hash is 64 hex digits; no line the app writes has such a run.
    for (const line of lines) expect(line).not.toMatch(/[0-9a-f]{64}/);
  });

  it("tie a request to its reconcile, with tokens and provider, and leak nothing", async () => {
    const { browser, accountId } = await account();
    const { key } = await (
      await browser.fetch("/api/keys", { method: "POST", json: { label: "logs" } })
    ).json<{
      key: string;
    }>();
    const prompt = "the secret recipe is 42 parts saffron";
    const { lines, result } = await captureLogs(async () => {
      const res = await call("/v1/chat/completions", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body: JSON.stringify({
          model: "claude-haiku-4-5",
          stream: true,
          max_tokens: 50,
          messages: [{ role: "user", content: scripted(prompt, { reply: "noted" }) }],
        }),
      });
      const body = parseSse(await res.text());
      await eventually(() => usageRows(accountId).then((rows) => rows.length > 0));
      const sessionId = res.headers.get("x-session-id") ?? "";
      await browser.fetch(`/api/sessions/${sessionId}/messages`);
      // Answered by a module loaded on first use (routes/lazy.ts).
      await browser.fetch("/api/keys");
      return { requestId: res.headers.get("x-request-id"), body, sessionId };
    });
    expect(result.body.text).toBe("noted");
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const request = parsed.find((l) => l.msg === "request" && l.request_id === result.requestId);
    const reconcile = parsed.find(
      (l) => l.msg === "reconcile" && l.request_id === result.requestId,
    );
    expect(request).toMatchObject({
      route: "/v1/chat/completions",
      status: 200,
      model: "claude-haiku-4-5",
      provider: "anthropic",
      account: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    expect(request?.tokens_estimated).toBeGreaterThan(50);
    expect(reconcile).toMatchObject({
      account: request?.account,
      provider: "anthropic",
      status: "ok",
      tokens_estimated: request?.tokens_estimated,
    });
    expect(reconcile?.tokens_actual).toBeGreaterThan(0);
    expect(typeof reconcile?.upstream_first_byte_ms).toBe("number");
    expect(request?.path).toBe("/v1/chat/completions");
    // Ids in paths are masked.
    expect(parsed.find((l) => l.route === "/api/sessions/:id/messages")?.path).toBe(
      "/api/sessions/:id/messages",
    );
    // A route loaded on its first request is named in the log as any other.
    expect(parsed.find((l) => l.method === "GET" && l.path === "/api/keys")).toMatchObject({
      route: "/api/keys",
      status: 200,
      account: request?.account,
    });
    for (const line of lines) {
      expect(line).not.toContain(result.sessionId);
      expect(line).not.toContain("saffron");
      expect(line).not.toContain(key);
      expect(line).not.toContain(accountId);
    }
  });
});
