// The Electric proxy against a stand-in that follows Electric's HTTP protocol: the shape is
// always the caller's (whatever the request tries), the secret is added and never shown,
// protocol headers and statuses pass through, live responses stream, failures are clear JSON.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { isChangeMessage, type Message, type Row, ShapeStream } from "@electric-sql/client";
import { describe, expect, inject, it } from "vitest";
import { agentMessages, agentSessions } from "../../src/db/schema";
import worker from "../../src/index";
import { ELECTRIC_TEST_SECRET } from "../setup/constants";
import type { Browser } from "./browser";
import { ORIGIN, withDb } from "./helpers";
import { account } from "./inference-helpers";

const standIn = inject("electricUrl");

async function recordedRequests(): Promise<
  { query: Record<string, string>; accessClientId: string | null }[]
> {
  return (await fetch(`${standIn}/__stand-in/requests`)).json();
}

/** An account with one session and `n` messages, written as the gateway would. */
/** The path of a live SSE request for the caller's messages, from the live edge. */
async function liveSsePath(browser: Browser) {
  const first = await browser.fetch("/api/sync/agent_messages?offset=-1");
  let handle = first.headers.get("electric-handle") ?? "";
  let offset = first.headers.get("electric-offset") ?? "";
  await first.text();
  const catchUp = await browser.fetch(`/api/sync/agent_messages?handle=${handle}&offset=${offset}`);
  handle = catchUp.headers.get("electric-handle") ?? handle;
  offset = catchUp.headers.get("electric-offset") ?? offset;
  await catchUp.text();
  return `/api/sync/agent_messages?handle=${handle}&offset=${offset}&live=true&live_sse=true`;
}

async function accountWithMessages(n: number) {
  const { browser, accountId } = await account();
  const sessionId = crypto.randomUUID();
  await withDb(async (db) => {
    await db
      .insert(agentSessions)
      .values({ id: sessionId, accountId, title: "synced", messageCount: n });
    for (let seq = 1; seq <= n; seq++) {
      await db
        .insert(agentMessages)
        .values({ accountId, sessionId, seq, role: "user", content: `m${seq}` });
    }
  });
  return { browser, accountId, sessionId };
}

async function addMessage(accountId: string, sessionId: string, seq: number, content: string) {
  await withDb((db) =>
    db.insert(agentMessages).values({ accountId, sessionId, seq, role: "assistant", content }),
  );
}

describe("GET /api/sync/:table", () => {
  it("pins table, where, params and columns to the caller whatever the request says", async () => {
    const { browser, accountId } = await accountWithMessages(2);
    const other = await accountWithMessages(1);
    const injected = new URLSearchParams({
      offset: "-1",
      where: "1=1",
      "params[1]": other.accountId,
      table: "user",
      columns: "key_hash",
      secret: "guess",
    });
    const res = await browser.fetch(`/api/sync/agent_messages?${injected}`);
    expect(res.status).toBe(200);
    const rows = (await res.json<Message<Row>[]>()).filter(isChangeMessage);
    expect(rows.map((r) => r.value.content).sort()).toEqual(["m1", "m2"]);
    expect(rows.every((r) => r.value.account_id === accountId)).toBe(true);

    const upstream = (await recordedRequests())
      .filter((r) => r.query["params[1]"] === accountId)
      .at(-1);
    expect(upstream?.query).toMatchObject({
      table: "agent_messages",
      where: "account_id = $1",
      "params[1]": accountId,
      secret: ELECTRIC_TEST_SECRET,
      offset: "-1",
    });
    expect(upstream?.query.columns?.split(",")).toContain("id");
    expect(upstream?.query.columns).not.toContain("key_hash");
  });

  it("narrows messages to one session only through a bound parameter", async () => {
    const { browser, accountId, sessionId } = await accountWithMessages(1);
    const res = await browser.fetch(`/api/sync/agent_messages?offset=-1&session_id=${sessionId}`);
    expect(res.status).toBe(200);
    const upstream = (await recordedRequests())
      .filter((r) => r.query["params[1]"] === accountId)
      .at(-1);
    expect(upstream?.query).toMatchObject({
      where: "account_id = $1 and session_id = $2",
      "params[2]": sessionId,
    });
    const bad = await browser.fetch("/api/sync/agent_messages?offset=-1&session_id=1%20or%201=1");
    expect(bad.status).toBe(400);
  });

  it("passes Electric's headers, makes caching private per caller, never shows the secret", async () => {
    const { browser } = await accountWithMessages(1);
    const res = await browser.fetch("/api/sync/agent_sessions?offset=-1");
    expect(res.status).toBe(200);
    for (const name of ["electric-handle", "electric-offset", "electric-schema"]) {
      expect(res.headers.get(name)).toBeTruthy();
    }
    const caching = res.headers.get("cache-control") ?? "";
    expect(caching).toContain("private");
    expect(caching).not.toContain("public");
    expect(res.headers.get("vary")?.toLowerCase()).toContain("cookie");
    expect(res.headers.get("content-encoding")).toBeNull();
    const everything = JSON.stringify([...res.headers]) + (await res.text());
    expect(everything).not.toContain(ELECTRIC_TEST_SECRET);
    expect(everything).not.toContain(standIn);
  });

  it("one account never receives another account's rows", async () => {
    const a = await accountWithMessages(3);
    const b = await accountWithMessages(2);
    for (const [who, owner] of [
      [a, a.accountId],
      [b, b.accountId],
    ] as const) {
      for (const table of ["agent_messages", "agent_sessions", "quota_buckets"]) {
        const res = await who.browser.fetch(`/api/sync/${table}?offset=-1`);
        const rows = (await res.json<Message<Row>[]>()).filter(isChangeMessage);
        expect(rows.length).toBeGreaterThan(0);
        expect(rows.every((r) => r.value.account_id === owner)).toBe(true);
      }
    }
  });

  it("passes 409 must-refetch and 400 through as the client expects", async () => {
    const { browser } = await accountWithMessages(1);
    const first = await browser.fetch("/api/sync/agent_messages?offset=-1");
    const handle = first.headers.get("electric-handle") ?? "";
    const offset = first.headers.get("electric-offset") ?? "";
    await first.text();
    await fetch(`${standIn}/__stand-in/expire?handle=${encodeURIComponent(handle)}`, {
      method: "POST",
    });
    const gone = await browser.fetch(`/api/sync/agent_messages?handle=${handle}&offset=${offset}`);
    expect(gone.status).toBe(409);
    expect(JSON.stringify(await gone.json())).toContain("must-refetch");
    const bad = await browser.fetch("/api/sync/agent_messages?offset=not-an-offset");
    expect(bad.status).toBe(400);
  });

  it("streams a live response as it arrives instead of buffering it", async () => {
    const { browser, accountId, sessionId } = await accountWithMessages(1);
    const live = await browser.fetch(await liveSsePath(browser));
    expect(live.status).toBe(200);
    expect(live.headers.get("content-type")).toContain("text/event-stream");
    const reader = live.body?.getReader();
    if (!reader) throw new Error("no body");
    await addMessage(accountId, sessionId, 2, "live one");
    const decoder = new TextDecoder();
    let text = "";
    let arrived = 0;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
      if (!arrived && text.includes("live one")) arrived = Date.now();
    }
    const ended = Date.now();
    expect(text).toContain("live one");
    // The stand-in holds the response open for 1.5 s: a buffering proxy would hand the event
    // over only as the response ends.
    expect(ended - arrived).toBeGreaterThan(200);
  });

  it("rejects tables that are not synced", async () => {
    const { browser } = await account();
    for (const table of ["user", "virtual_keys", "usage_log", "accounts"]) {
      expect((await browser.fetch(`/api/sync/${table}?offset=-1`)).status).toBe(404);
    }
  });

  it("the official ShapeStream syncs through the Worker and sees inserts made after it subscribed", async () => {
    const { browser, accountId, sessionId } = await accountWithMessages(1);
    const stream = new ShapeStream<Row>({
      url: `${ORIGIN}/api/sync/agent_messages`,
      fetchClient: (input, init) => browser.fetch(input.toString(), init),
    });
    const seen: string[] = [];
    let upToDate!: () => void;
    const ready = new Promise<void>((resolve) => {
      upToDate = resolve;
    });
    let sawLive!: () => void;
    const liveInsert = new Promise<void>((resolve) => {
      sawLive = resolve;
    });
    const unsubscribe = stream.subscribe((messages) => {
      for (const m of messages) {
        if (isChangeMessage(m)) {
          seen.push(String(m.value.content));
          if (m.value.content === "after subscribe") sawLive();
        } else if (m.headers.control === "up-to-date") upToDate();
      }
    });
    await ready;
    expect(seen).toEqual(["m1"]);
    await addMessage(accountId, sessionId, 2, "after subscribe");
    await liveInsert;
    expect(seen).toEqual(["m1", "after subscribe"]);
    unsubscribe();
  });
});

describe("when the sync service is missing or failing", () => {
  async function callWith(vars: Record<string, string>, browser: Browser, path: string) {
    const ctx = createExecutionContext();
    const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    const started = Date.now();
    const res = await worker.fetch(
      new Request(`${ORIGIN}${path}`, { headers: { cookie } }),
      { ...env, ...vars },
      ctx,
    );
    const elapsed = Date.now() - started;
    await waitOnExecutionContext(ctx);
    return { res, elapsed };
  }

  it("bounds the wait for Electric's answer, not the life of a live SSE stream", async () => {
    const { browser } = await accountWithMessages(1);
    const path = await liveSsePath(browser);
    // Far shorter than the 1.5 s the stand-in holds the stream open.
    const { res } = await callWith({ ELECTRIC_TIMEOUT_MS: "300" }, browser, path);
    expect(res.status).toBe(200);
    const started = Date.now();
    await res.text();
    expect(Date.now() - started).toBeGreaterThan(900);
  });

  it("answers 503 sync_unavailable without ELECTRIC_URL, and /api/config says so", async () => {
    const { browser } = await account();
    const { res } = await callWith(
      { ELECTRIC_URL: "" },
      browser,
      "/api/sync/agent_messages?offset=-1",
    );
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: { code: "sync_unavailable" } });
    const { res: config } = await callWith({ ELECTRIC_URL: "" }, browser, "/api/config");
    expect(await config.json()).toMatchObject({ sync: "unavailable" });
  });

  it("presents the Cloudflare Access service token when one is configured", async () => {
    const { browser, accountId } = await account();
    const { res } = await callWith(
      {
        ELECTRIC_ACCESS_CLIENT_ID: "access-id.access",
        ELECTRIC_ACCESS_CLIENT_SECRET: "access-secret",
      },
      browser,
      "/api/sync/quota_buckets?offset=-1",
    );
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).not.toContain("access-secret");
    const upstream = (await recordedRequests())
      .filter((r) => r.query["params[1]"] === accountId)
      .at(-1);
    expect(upstream?.accessClientId).toBe("access-id.access");
  });

  it("answers 502 JSON when the upstream is down", async () => {
    const { browser } = await account();
    const { res, elapsed } = await callWith(
      { ELECTRIC_URL: "http://127.0.0.1:9" },
      browser,
      "/api/sync/agent_messages?offset=-1",
    );
    expect(res.status).toBe(502);
    const body = await res.text();
    expect(JSON.parse(body)).toMatchObject({ error: { code: "sync_upstream" } });
    expect(body).not.toContain("127.0.0.1");
    expect(elapsed).toBeLessThan(2_000);
  });

  it("answers 504 JSON within the timeout when the upstream never answers", async () => {
    const { browser } = await account();
    const { res, elapsed } = await callWith(
      { ELECTRIC_URL: `http://127.0.0.1:${inject("blackHolePort")}`, ELECTRIC_TIMEOUT_MS: "500" },
      browser,
      "/api/sync/agent_messages?offset=-1",
    );
    expect(res.status).toBe(504);
    expect(await res.json()).toMatchObject({ error: { code: "sync_timeout" } });
    expect(elapsed).toBeLessThan(3_000);
  });
});
