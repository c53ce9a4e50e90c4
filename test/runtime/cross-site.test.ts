// Writes that ride the session cookie refuse other origins' pages: a foreign Origin is a 403
// cross_site and nothing is written; the app's own origin (and BETTER_AUTH_URL's) passes, as
// does a client that is not a browser (no Origin, no Sec-Fetch-Site). /v1, with bearer keys
// and no cookies, takes requests from anywhere, as OpenAI's clients need.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { and, asc, count, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import {
  accounts,
  adminAudit,
  agentSessions,
  agentToolCalls,
  openReservations,
  quotaBuckets,
  usageLog,
  virtualKeys,
} from "../../src/db/schema";
import worker from "../../src/index";
import { windowStart } from "../../src/quota/window";
import { Browser, signedInWithOidc, uniqueLogin } from "./browser";
import { call, withDb } from "./helpers";
import { runPythonTurn, scripted, settled } from "./inference-helpers";

const EVIL = "https://evil.example";
const turn = {
  model: "gpt-5-mini",
  max_tokens: 20,
  messages: [{ role: "user", content: scripted("hi", { reply: "ok" }) }],
};

/**
 * A person who may use /admin (signed in with a provider; development, no list), with a key,
 * and a session holding a proposed tool call whose turn has settled.
 */
async function person() {
  const { browser, me } = await signedInWithOidc(uniqueLogin("csrf"));
  const { sessionId, events } = await runPythonTurn(browser, "run it", "print(1)");
  const toolCallId = events
    .flatMap((e) => e.choices as { delta: { tool_calls?: { id?: string }[] } }[])
    .flatMap((c) => c.delta.tool_calls ?? [])
    .find((t) => t.id)?.id;
  if (!sessionId || !toolCallId) throw new Error("no session or tool call");
  await settled(me.account_id);
  const minted = await browser.fetch("/api/keys", { method: "POST", json: { label: "mine" } });
  const key = await minted.json<{ id: string; key: string }>();
  const [bucket] = await withDb((db) =>
    db
      .select({ id: quotaBuckets.id })
      .from(quotaBuckets)
      .where(
        and(eq(quotaBuckets.accountId, me.account_id), eq(quotaBuckets.windowStart, windowStart())),
      ),
  );
  if (!bucket) throw new Error("no bucket");
  return { browser, accountId: me.account_id, sessionId, toolCallId, key, bucketId: bucket.id };
}

type Person = Awaited<ReturnType<typeof person>>;

/** Every cookie-authenticated write, in an order in which all of them can succeed. */
function writes(p: Person): [string, RequestInit & { json?: unknown }][] {
  return [
    ["/api/keys", { method: "POST", json: { label: "minted cross-site" } }],
    [`/api/sessions/${p.sessionId}`, { method: "PATCH", json: { title: "renamed" } }],
    [`/api/tool-calls/${p.toolCallId}/complete`, { method: "POST", json: { status: "skipped" } }],
    ["/api/inference", { method: "POST", json: turn }],
    [`/api/admin/buckets/${p.bucketId}/limit`, { method: "POST", json: { limit_tokens: 60000 } }],
    [`/api/admin/accounts/${p.accountId}/tier`, { method: "POST", json: { tier: "pro" } }],
    [`/api/admin/keys/${p.key.id}/revoke`, { method: "POST" }],
    [`/api/keys/${p.key.id}`, { method: "DELETE" }],
    [`/api/sessions/${p.sessionId}`, { method: "DELETE" }],
  ];
}

/** What the person's account holds: anything a write would change. */
function holdings(accountId: string) {
  return withDb(async (db) => {
    const n = async (table: typeof usageLog | typeof openReservations | typeof agentSessions) => {
      const [row] = await db
        .select({ n: count() })
        .from(table)
        .where(eq(table.accountId, accountId));
      return row?.n;
    };
    const [audits] = await db
      .select({ n: count() })
      .from(adminAudit)
      .where(eq(adminAudit.targetAccountId, accountId));
    return {
      keys: await db
        .select({ id: virtualKeys.id, revokedAt: virtualKeys.revokedAt })
        .from(virtualKeys)
        .where(eq(virtualKeys.accountId, accountId))
        .orderBy(asc(virtualKeys.id)),
      sessions: await db
        .select({ id: agentSessions.id, title: agentSessions.title })
        .from(agentSessions)
        .where(eq(agentSessions.accountId, accountId)),
      toolCalls: await db
        .select({ status: agentToolCalls.status })
        .from(agentToolCalls)
        .where(eq(agentToolCalls.accountId, accountId)),
      buckets: await db
        .select({ used: quotaBuckets.usedTokens, limit: quotaBuckets.limitTokens })
        .from(quotaBuckets)
        .where(eq(quotaBuckets.accountId, accountId)),
      tier: (await db.select().from(accounts).where(eq(accounts.id, accountId)))[0]?.tier,
      usage: await n(usageLog),
      reservations: await n(openReservations),
      sessionCount: await n(agentSessions),
      audits: audits?.n,
    };
  });
}

async function expectRefused(res: Response, what: string) {
  expect(res.status, what).toBe(403);
  expect(await res.json(), what).toEqual({
    error: { type: "permission_error", code: "cross_site", message: "Cross-site request refused" },
  });
}

/** The request as a script would send it: the cookie, and only the headers given. */
function asScript(browser: Browser, path: string, method: string, headers: HeadersInit = {}) {
  const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  return call(path, {
    method,
    headers: { cookie, "content-type": "application/json", ...headers },
    body: JSON.stringify({ label: "script" }),
  });
}

describe("cookie-authenticated writes from another origin", () => {
  it("are refused with 403 cross_site, and nothing is written", async () => {
    const p = await person();
    const before = await holdings(p.accountId);
    for (const [path, init] of writes(p)) {
      const res = await p.browser.fetch(path, { ...init, headers: { origin: EVIL } });
      await expectRefused(res, `${init.method} ${path}`);
    }
    expect(await holdings(p.accountId)).toEqual(before);
  });

  it("are refused however they are sent: a form body, Origin null, Fetch Metadata alone", async () => {
    const p = await person();
    const before = await holdings(p.accountId);
    // What a page can send cross-site without a CORS preflight: a text/plain form post.
    const form = await p.browser.fetch("/api/keys", {
      method: "POST",
      headers: { origin: EVIL, "content-type": "text/plain" },
      body: "label=x",
    });
    await expectRefused(form, "text/plain POST /api/keys");
    // A sandboxed frame or a cross-origin redirect sends Origin: null.
    await expectRefused(
      await p.browser.fetch(`/api/keys/${p.key.id}`, {
        method: "DELETE",
        headers: { origin: "null" },
      }),
      "Origin: null",
    );
    // No Origin, but the browser's own Sec-Fetch-Site says the page is elsewhere.
    for (const site of ["cross-site", "same-site", "none"])
      await expectRefused(
        await asScript(p.browser, "/api/keys", "POST", { "sec-fetch-site": site }),
        `Sec-Fetch-Site: ${site}`,
      );
    expect(await holdings(p.accountId)).toEqual(before);
  });

  it("from the app's own origin all go through", async () => {
    const p = await person();
    const before = await holdings(p.accountId);
    for (const [path, init] of writes(p)) {
      const res = await p.browser.fetch(path, init);
      expect(res.status, `${init.method} ${path}`).toBeLessThan(300);
      await res.arrayBuffer();
    }
    const after = await holdings(p.accountId);
    expect(after.keys).toHaveLength(before.keys.length + 1);
    expect(after.keys.find((k) => k.id === p.key.id)?.revokedAt).not.toBeNull();
    expect(after.tier).toBe("pro");
    expect(after.audits).toBe(3);
    expect(after.sessions.find((s) => s.id === p.sessionId)).toBeUndefined();
  });

  it("from a client that is not a browser (no Origin, no Sec-Fetch-Site) go through", async () => {
    const p = await person();
    const res = await asScript(p.browser, "/api/keys", "POST");
    expect(res.status).toBe(201);
    // As does a page under Referrer-Policy: no-referrer, which sends Origin: null but whose
    // browser says same-origin.
    const noReferrer = await asScript(p.browser, "/api/keys", "POST", {
      origin: "null",
      "sec-fetch-site": "same-origin",
    });
    expect(noReferrer.status).toBe(201);
  });

  it("reads are not writes: a GET with a foreign Origin is answered (CORS keeps it unread)", async () => {
    const p = await person();
    const res = await p.browser.fetch("/api/me", { headers: { origin: EVIL } });
    expect(res.status).toBe(200);
  });

  it("from BETTER_AUTH_URL's origin go through; others are still refused", async () => {
    const p = await person();
    const bindings = { ...env, BETTER_AUTH_URL: "https://gradual.example" };
    const behindProxy = new Browser(async (request) => {
      const ctx = createExecutionContext();
      const res = await worker.fetch(request, bindings, ctx);
      await waitOnExecutionContext(ctx);
      return res;
    });
    for (const [name, value] of p.browser.cookies) behindProxy.cookies.set(name, value);
    const mint = (origin: string) =>
      behindProxy.fetch("/api/keys", { method: "POST", json: {}, headers: { origin } });
    expect((await mint("https://gradual.example")).status).toBe(201);
    await expectRefused(await mint(EVIL), "foreign origin with BETTER_AUTH_URL set");
  });
});

describe("/v1 (bearer keys, no cookies)", () => {
  it("answers with any Origin or none", async () => {
    const p = await person();
    const bearer = { authorization: `Bearer ${p.key.key}` };
    for (const origin of [EVIL, undefined]) {
      const headers = { ...bearer, ...(origin && { origin }) };
      const completion = await call("/v1/chat/completions", {
        method: "POST",
        headers: { ...headers, "content-type": "application/json" },
        body: JSON.stringify(turn),
      });
      expect(completion.status, `completion, Origin ${origin}`).toBe(200);
      await completion.arrayBuffer();
      const models = await call("/v1/models", { headers });
      expect(models.status, `models, Origin ${origin}`).toBe(200);
    }
  });
});

describe("the API description", () => {
  it("lists the 403 on the cookie routes' writes, not on /v1", async () => {
    type Doc = { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    const doc = await (await call("/api/openapi.json")).json<Doc>();
    for (const [path, method] of [
      ["/api/keys", "post"],
      ["/api/keys/{id}", "delete"],
      ["/api/sessions/{id}", "patch"],
      ["/api/sessions/{id}", "delete"],
      ["/api/tool-calls/{id}/complete", "post"],
      ["/api/inference", "post"],
      ["/api/admin/accounts/{id}/tier", "post"],
    ] as const)
      expect(doc.paths[path]?.[method]?.responses["403"], `${method} ${path}`).toBeTruthy();
    expect(doc.paths["/v1/chat/completions"]?.post?.responses["403"]).toBeUndefined();
  });
});
