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
import { type Browser, browserWith } from "./browser";
import { ORIGIN, withDb } from "./helpers";
import { account } from "./inference-helpers";

const standIn = inject("electricUrl");
const heldStandIn = inject("electricHeldUrl");

async function recordedRequests(): Promise<
  { query: Record<string, string>; accessClientId: string | null }[]
> {
  return (await fetch(`${standIn}/__stand-in/requests`)).json();
}

/** A live SSE request for the caller's messages, from the live edge: its path and handle. */
async function liveSse(browser: Browser) {
  const first = await browser.fetch("/api/sync/agent_messages?offset=-1");
  let handle = first.headers.get("electric-handle") ?? "";
  let offset = first.headers.get("electric-offset") ?? "";
  await first.text();
  const catchUp = await browser.fetch(`/api/sync/agent_messages?handle=${handle}&offset=${offset}`);
  handle = catchUp.headers.get("electric-handle") ?? handle;
  offset = catchUp.headers.get("electric-offset") ?? offset;
  await catchUp.text();
  return {
    path: `/api/sync/agent_messages?handle=${handle}&offset=${offset}&live=true&live_sse=true`,
    handle,
  };
}

/**
 * The same person's browser through a Worker whose Electric holds a live stream open until the
 * test ends it (`endLive`), so that what a test sees cannot be the stream's own end.
 */
function onHeldStandIn(browser: Browser, vars: Record<string, string> = {}) {
  const held = browserWith({ ELECTRIC_URL: heldStandIn, ...vars });
  for (const [name, value] of browser.cookies) held.cookies.set(name, value);
  return held;
}

/** Ends the held stand-in's live streams of shape `handle`. */
async function endLive(handle: string) {
  await fetch(`${heldStandIn}/__stand-in/expire?handle=${encodeURIComponent(handle)}`, {
    method: "POST",
  });
}

/** Reads on until the text read includes `wanted`, or to the end; the text. */
async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, wanted?: string) {
  const decoder = new TextDecoder();
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return text;
    text += decoder.decode(value);
    if (wanted && text.includes(wanted)) return text;
  }
}

/** An account with one session and `n` messages, written as the gateway would. */
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
    const held = onHeldStandIn(browser);
    const { path, handle } = await liveSse(held);
    const live = await held.fetch(path);
    expect(live.status).toBe(200);
    expect(live.headers.get("content-type")).toContain("text/event-stream");
    const reader = live.body?.getReader();
    if (!reader) throw new Error("no body");
    await addMessage(accountId, sessionId, 2, "live one");
    // The stand-in holds the response open until told otherwise: a buffering proxy would hand
    // the event over only once it ends, and this read would never return.
    expect(await readUntil(reader, "live one")).toContain("live one");
    await endLive(handle);
    await readUntil(reader);
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
  async function callWith(
    vars: Record<string, string>,
    browser: Browser,
    path: string,
    signal?: AbortSignal,
  ) {
    const ctx = createExecutionContext();
    const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    const started = Date.now();
    const res = await worker.fetch(
      new Request(`${ORIGIN}${path}`, { headers: { cookie }, signal }),
      { ...env, ...vars },
      ctx,
    );
    const elapsed = Date.now() - started;
    await waitOnExecutionContext(ctx);
    return { res, elapsed };
  }

  /** Longer than any test may run: an answer cannot have come from this timeout. */
  const NEVER_MS = "600000";

  it("bounds the wait for Electric's answer, not the life of a live SSE stream", async () => {
    const { browser, accountId, sessionId } = await accountWithMessages(1);
    const { path, handle } = await liveSse(onHeldStandIn(browser));
    const live = await onHeldStandIn(browser, { ELECTRIC_TIMEOUT_MS: "1000" }).fetch(path);
    expect(live.status).toBe(200);
    const reader = live.body?.getReader();
    if (!reader) throw new Error("no body");
    // Past the deadline (at least: a slow machine only waits longer), the stream still carries
    // what happens next, and then ends cleanly when Electric ends it.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await addMessage(accountId, sessionId, 2, "after the deadline");
    expect(await readUntil(reader, "after the deadline")).toContain("after the deadline");
    await endLive(handle);
    await readUntil(reader);
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

  it("answers 502 JSON when the upstream is down, at once rather than at the timeout", async () => {
    const { browser } = await account();
    const { res } = await callWith(
      { ELECTRIC_URL: "http://127.0.0.1:9", ELECTRIC_TIMEOUT_MS: NEVER_MS },
      browser,
      "/api/sync/agent_messages?offset=-1",
    );
    expect(res.status).toBe(502);
    const body = await res.text();
    expect(JSON.parse(body)).toMatchObject({ error: { code: "sync_upstream" } });
    expect(body).not.toContain("127.0.0.1");
  });

  it("answers 504 JSON at its timeout when the upstream never answers", async () => {
    const { browser } = await account();
    const path = "/api/sync/agent_messages?offset=-1";
    const blackHole = `http://127.0.0.1:${inject("blackHolePort")}`;
    // The same request with a timeout that never comes, sent first.
    const abandon = new AbortController();
    let patientAnswered = false;
    const patient = callWith(
      { ELECTRIC_URL: blackHole, ELECTRIC_TIMEOUT_MS: NEVER_MS },
      browser,
      path,
      abandon.signal,
    ).finally(() => {
      patientAnswered = true;
    });

    const { res, elapsed } = await callWith(
      { ELECTRIC_URL: blackHole, ELECTRIC_TIMEOUT_MS: "500" },
      browser,
      path,
    );
    expect(res.status).toBe(504);
    expect(await res.json()).toMatchObject({ error: { code: "sync_timeout" } });
    // It waited for its own timeout, which is what answered it: the other still waits.
    expect(elapsed).toBeGreaterThanOrEqual(500);
    expect(patientAnswered).toBe(false);
    abandon.abort();
    await patient;
  });
});
