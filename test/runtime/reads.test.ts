// The plain reads the client falls back to without live sync, and the public configuration.

import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import pyodide from "pyodide/package.json";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { Browser } from "./browser";
import { ORIGIN } from "./helpers";
import { account, chat, runPythonTurn, scripted, settled, usedTokens } from "./inference-helpers";

describe("plain reads", () => {
  it("lists the caller's sessions and returns a transcript with its tool calls", async () => {
    const { browser } = await account();
    const { sessionId } = await runPythonTurn(browser, "Compute things", "print(6*7)", "On it.");

    const list = await (await browser.fetch("/api/sessions")).json<{
      data: { id: string; title: string }[];
    }>();
    expect(list.data).toEqual([
      expect.objectContaining({ id: sessionId, title: "Compute things" }),
    ]);

    const transcript = await (await browser.fetch(`/api/sessions/${sessionId}/messages`)).json<{
      data: {
        role: string;
        content: string;
        tool_calls: { proposed_code: string; status: string }[];
      }[];
    }>();
    expect(transcript.data.map((m) => m.role)).toEqual(["user", "assistant"]);
    expect(transcript.data[1]?.content).toBe("On it.");
    expect(transcript.data[1]?.tool_calls).toEqual([
      expect.objectContaining({ proposed_code: "print(6*7)", status: "proposed" }),
    ]);

    const quota = await (await browser.fetch("/api/quota")).json<{
      used_tokens: number;
      limit_tokens: number;
    }>();
    expect(quota.used_tokens).toBeGreaterThan(0);
    expect(quota.limit_tokens).toBe(5000);
  });

  it("keeps a turn whose text holds U+0000 (which Postgres cannot store) as U+FFFD", async () => {
    const { browser, accountId } = await account();
    const { sessionId } = await runPythonTurn(
      browser,
      "Nul\u0000here",
      "print('\u0000')",
      "a\u0000b",
    );
    const row = await settled(accountId);
    expect(row?.status).toBe("ok");
    expect(await usedTokens(accountId)).toBe(row?.debitedTokens);

    const list = await (await browser.fetch("/api/sessions")).json<{ data: { title: string }[] }>();
    expect(list.data[0]?.title).toBe("Nul\uFFFDhere");
    const transcript = await (await browser.fetch(`/api/sessions/${sessionId}/messages`)).json<{
      data: { content: string; tool_calls: { id: string; proposed_code: string }[] }[];
    }>();
    expect(transcript.data[0]?.content).toContain("Nul\uFFFDhere");
    expect(transcript.data[1]?.content).toBe("a\uFFFDb");
    const call = transcript.data[1]?.tool_calls[0];
    expect(call?.proposed_code).toBe("print('\uFFFD')");

    // A program's output may hold U+0000 too; the same report twice is still the same.
    const report = { status: "done", executed_code: "print('\u0000')", output: "\u0000\n" };
    for (let i = 0; i < 2; i++) {
      const done = await browser.fetch(`/api/tool-calls/${call?.id}/complete`, {
        method: "POST",
        json: report,
      });
      expect(done.status).toBe(200);
      expect(await done.json()).toMatchObject({ output: "\uFFFD\n" });
    }
  });

  it("answers another account's session with a 404", async () => {
    const owner = await account();
    const res = await chat(owner.browser, {
      max_tokens: 10,
      messages: [{ role: "user", content: scripted("x", { reply: "y" }) }],
    });
    const sessionId = res.headers.get("x-session-id");
    await res.text();
    const stranger = await account();
    expect((await stranger.browser.fetch(`/api/sessions/${sessionId}/messages`)).status).toBe(404);
    expect((await stranger.browser.fetch("/api/sessions/not-a-uuid/messages")).status).toBe(404);
    expect((await stranger.browser.fetch("/api/sessions")).status).toBe(200);
  });

  it("requires a session", async () => {
    for (const path of ["/api/sessions", "/api/quota"]) {
      expect((await new Browser().fetch(path)).status).toBe(401);
    }
  });
});

describe("GET /api/config", () => {
  it("is public and tells the client how to sync, sign in, and which models exist", async () => {
    const res = await new Browser().fetch("/api/config");
    expect(res.status).toBe(200);
    const config = await res.json<{
      sync: string;
      sign_in: { oidc: { name: string } | null; google: boolean };
      models: { id: string }[];
      demo_model: boolean;
      providers: string[];
      python: { packages_url: string };
    }>();
    expect(config.sync).toBe("electric");
    expect(config.sign_in).toMatchObject({ google: false, oidc: { name: "OIDC" } });
    expect(config.providers.sort()).toEqual(["anthropic", "openai", "openrouter"]);
    expect(config.models.map((m) => m.id)).toContain("claude-haiku-4-5");
    expect(config.demo_model).toBe(false);
    // Unset: the client loads Pyodide's packages from the official CDN.
    // The official CDN for the Pyodide version the client ships (the same npm package).
    expect(config.python).toEqual({
      packages_url: `https://cdn.jsdelivr.net/pyodide/v${pyodide.version}/full/`,
    });
    expect(JSON.stringify(config)).not.toMatch(/sk-test|secret/i);
  });

  async function configWith(vars: Record<string, string>) {
    const ctx = createExecutionContext();
    const res = await worker.fetch(new Request(`${ORIGIN}/api/config`), { ...env, ...vars }, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  }

  it("names PYODIDE_PACKAGES_URL (empty: unset) as the packages' base URL, always ending in /", async () => {
    for (const [value, expected] of [
      [
        "https://mirror.example.com/pyodide/v0.28.0/full",
        "https://mirror.example.com/pyodide/v0.28.0/full/",
      ],
      [" http://127.0.0.1:9000/pyodide/ ", "http://127.0.0.1:9000/pyodide/"],
      ["https://cdn.example.com", "https://cdn.example.com/"],
      ["", `https://cdn.jsdelivr.net/pyodide/v${pyodide.version}/full/`],
    ] as const) {
      const res = await configWith({ PYODIDE_PACKAGES_URL: value });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ python: { packages_url: expected } });
    }
  });

  it("treats an unusable PYODIDE_PACKAGES_URL as a misconfiguration", async () => {
    for (const value of [
      "cdn.example.com/pyodide/",
      "/pyodide/",
      "ftp://mirror.example.com/pyodide/",
      "https://user:pass@mirror.example.com/pyodide/",
      "https://mirror.example.com/pyodide/?v=1",
      "https://mirror.example.com/pyodide/#full",
    ]) {
      const res = await configWith({ PYODIDE_PACKAGES_URL: value });
      expect(res.status, value).toBe(500);
      const body = await res.json<{ error: { code: string; message: string } }>();
      expect(body.error.code).toBe("misconfigured");
      expect(body.error.message).toContain("PYODIDE_PACKAGES_URL");
    }
  });
});
