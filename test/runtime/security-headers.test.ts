// The Worker's own responses: never sniffed, framed or cached unless a route says so, HSTS
// outside development; and the Python worker's script, which carries the policy of the context
// it runs in (the app's origin and the configured package CDN only), keeping cross-origin
// isolation.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { Browser } from "./browser";
import { ORIGIN } from "./helpers";

async function call(path: string, vars: Record<string, string> = {}) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`${ORIGIN}${path}`), { ...env, ...vars }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** The Python worker's script name in this build, as the page's entry script refers to it. */
async function workerScriptPath(): Promise<string> {
  const html = await (await env.ASSETS.fetch(`${ORIGIN}/`)).text();
  const entry = /src="(\/assets\/index-[^"]+\.js)"/.exec(html)?.[1];
  const script = await (await env.ASSETS.fetch(`${ORIGIN}${entry}`)).text();
  const name = /python-worker-[\w-]+\.js/.exec(script)?.[0];
  if (!name) throw new Error("the client build names no python-worker script");
  return `/assets/${name}`;
}

describe("security headers", () => {
  it("answer the API with nosniff, no framing, and no-store where a route set no caching", async () => {
    const browser = new Browser();
    await browser.signInAnonymously();
    for (const path of ["/api/me", "/api/sessions", "/api/quota", "/api/config", "/api/nope"]) {
      const res = await browser.fetch(path);
      expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect(res.headers.get("x-frame-options"), path).toBe("SAMEORIGIN");
      expect(res.headers.get("cache-control"), path).toBe("no-store");
      // Local development is plain http, where browsers ignore it.
      expect(res.headers.get("strict-transport-security"), path).toBeNull();
    }
  });

  it("send HSTS outside development", async () => {
    const res = await call("/api/config", {
      ENVIRONMENT: "production",
      BETTER_AUTH_SECRET: "a-production-grade-secret-of-sufficient-length",
    });
    expect(res.headers.get("strict-transport-security")).toBe(
      "max-age=31536000; includeSubDomains",
    );
  });

  it("give the Python worker's script its own policy: the app and the package CDN only", async () => {
    const path = await workerScriptPath();
    const res = await call(path);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/javascript/);
    expect(res.headers.get("content-security-policy")).toBe(
      "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self' https://cdn.jsdelivr.net",
    );
    expect(res.headers.get("cross-origin-embedder-policy")).toBe("require-corp");
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    const elsewhere = await call(path, { PYODIDE_PACKAGES_URL: "https://wheels.example.com/py/" });
    expect(elsewhere.headers.get("content-security-policy")).toContain(
      "connect-src 'self' https://wheels.example.com",
    );
    expect(elsewhere.headers.get("content-security-policy")).not.toContain("jsdelivr");
  });
});
