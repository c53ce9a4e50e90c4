// The README's run command: `npm run dev` serves /api/health on PORT with its own kept local
// PostgreSQL (no DATABASE_URL), with PGlite when asked, and with a real server (DATABASE_URL),
// where the scripted demo model answers when no provider key is set, and stops with a clear
// message when DATABASE_URL's server cannot be reached.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAuthClient } from "better-auth/client";
import { anonymousClient } from "better-auth/client/plugins";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, waitForHttp } from "../../scripts/lib/net.mjs";
import { cleanEnv, freshDatabase, type Running, start } from "./support";

const running: Running[] = [];
afterAll(async () => {
  await Promise.all(running.map((r) => r.stop()));
});

async function devServer(extra: Record<string, string>) {
  const port: number = await freePort();
  const server = start("npm", ["run", "dev"], cleanEnv({ PORT: String(port), ...extra }));
  running.push(server);
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${base}/api/health`, {
      timeoutMs: 90_000,
      isAlive: () => server.child.exitCode === null,
    });
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- dev output ---\n${server.output()}`);
  }
  return { base, server };
}

describe("npm run dev", () => {
  it("keeps a local PostgreSQL in PG_DIR when DATABASE_URL is unset: overlapping requests all succeed, and the data outlives a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gradual-pgdir-"));
    try {
      let { base, server } = await devServer({ PG_DIR: dir });
      expect(server.output()).toContain("local PostgreSQL");
      // The client build is served from the same origin.
      const page = await fetch(`${base}/`);
      expect(await page.text()).toContain('<div id="app">');
      const signIn = await fetch(`${base}/api/auth/sign-in/anonymous`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: base },
        body: "{}",
      });
      const cookie = signIn.headers
        .getSetCookie()
        .map((c) => c.split(";")[0])
        .join("; ");
      // The page asks for several things at once; every one of them must be answered.
      const paths = ["/api/me", "/api/quota", "/api/sessions", "/api/health", "/api/config"];
      const statuses = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          fetch(`${base}${paths[i % paths.length]}`, { headers: { cookie } }).then((r) => r.status),
        ),
      );
      expect(statuses).toEqual(Array(20).fill(200));
      const before = await (await fetch(`${base}/api/me`, { headers: { cookie } })).json();
      await server.stop();

      ({ base, server } = await devServer({ PG_DIR: dir }));
      const after = await fetch(`${base}/api/me`, { headers: { cookie } });
      expect(after.status).toBe(200);
      expect((await after.json()).account_id).toBe(before.account_id);
      await server.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("serves /api/health = 200 on the embedded PGlite when asked (DEV_DATABASE=pglite)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gradual-pglite-"));
    try {
      const { base, server } = await devServer({ DEV_DATABASE: "pglite", PGLITE_DIR: dir });
      const res = await fetch(`${base}/api/health`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ ok: true, db: "ok" });
      expect(server.output()).toContain("embedded Postgres");
      await server.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("serves /api/health = 200 against DATABASE_URL's server; Better Auth's own client signs in anonymously and the scripted demo answers", async () => {
    const url = await freshDatabase("dev");
    const { base, server } = await devServer({ DATABASE_URL: url });
    const res = await fetch(`${base}/api/health`);
    expect(res.status).toBe(200);
    expect(server.output()).not.toMatch(/embedded Postgres|local PostgreSQL/);

    let cookie = "";
    const client = createAuthClient({
      baseURL: base,
      plugins: [anonymousClient()],
      fetchOptions: {
        onResponse: ({ response }) => {
          const set = response.headers.getSetCookie().map((c) => c.split(";")[0]);
          if (set.length) cookie = set.join("; ");
        },
      },
    });
    const signedIn = await client.signIn.anonymous();
    expect(signedIn.error).toBeNull();
    expect(signedIn.data?.user.isAnonymous).toBe(true);
    const session = await client.getSession({ fetchOptions: { headers: { cookie } } });
    expect(session.data?.user.id).toBe(signedIn.data?.user.id);
    const me = await fetch(`${base}/api/me`, { headers: { cookie } });
    expect(await me.json()).toMatchObject({ tier: "anon", is_anonymous: true });

    // Without a provider key the scripted demo answers, and the UI is told to say so.
    const config = await (await fetch(`${base}/api/config`)).json();
    expect(config).toMatchObject({ demo_model: true, models: [{ id: "scripted-demo" }] });
    const turn = await fetch(`${base}/api/inference`, {
      method: "POST",
      headers: { cookie, "content-type": "application/json", origin: base },
      body: JSON.stringify({
        model: "scripted-demo",
        max_tokens: 200,
        messages: [{ role: "user", content: "hello" }],
      }),
    });
    expect(turn.status).toBe(200);
    const completion = await turn.json();
    expect(completion.choices[0].message.content.length).toBeGreaterThan(0);
    await server.stop();
  });

  it("stops with a clear message when DATABASE_URL's server cannot be reached", async () => {
    const port: number = await freePort();
    const dev = start(
      "npm",
      ["run", "dev"],
      cleanEnv({ PORT: String(port), DATABASE_URL: `postgres://u:p@127.0.0.1:${port}/none` }),
    );
    running.push(dev);
    const code = await new Promise((resolve) => dev.child.once("exit", resolve));
    expect(code).not.toBe(0);
    expect(dev.output()).toMatch(/dev: .*ECONNREFUSED/);
  });
});
