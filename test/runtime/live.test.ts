// Live in every tab (GET /api/live): a tab's WebSocket to its account's agent is told of every
// stream of the account and given the chunks of the session it follows, from the first, then
// live, each once and in order; a stop from it stops the stream for everyone; a stream outlives
// its caller while a tab follows it; after the object restarts mid-stream a tab is given what
// was sent and the cut; a merge sends the tabs on to the surviving account. Another account's
// tab gets nothing.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { FOLLOWER_GRACE_MS } from "../../src/account-agent/caller-stream";
import { openReservations } from "../../src/db/schema";
import { signedInWithOidc, uniqueLogin } from "./browser";
import { call, ORIGIN, withDb } from "./helpers";
import {
  account,
  agentFor,
  eventually,
  keyFor,
  runPythonTurn,
  scripted,
  settled,
  usageRows,
  usedTokens,
  v1,
} from "./inference-helpers";
import { answerOf, keptChunks, keptKeys, stream, Tab, textOf } from "./live-helpers";

describe("GET /api/live", () => {
  it("a tab attaching mid-stream gets every chunk once, in order, then the end", async () => {
    const { browser } = await account();
    const { caller, sessionId, streamId } = await stream(browser, {
      tokens: 60,
      chunk_delay_ms: 20,
    });
    await caller.readEvents(8);
    const tab = await Tab.open(browser);
    await tab.follow(sessionId);
    const sse = await caller.rest();
    expect(sse.done).toBe(true);
    const end = await tab.end(streamId);

    const start = tab.ofStream(streamId)[0];
    expect(start).toMatchObject({
      type: "start",
      session_id: sessionId,
      user_message: expect.stringContaining("tell me"),
      model: "gpt-5-mini",
    });
    const chunks = tab.chunks(streamId);
    expect(chunks.map((c) => c.seq)).toEqual(chunks.map((_, n) => n));
    // Exactly what the caller's SSE carried, the usage chunk included.
    expect(chunks.map((c) => c.data)).toEqual(sse.events);
    expect(textOf(chunks.map((c) => c.data))).toBe(sse.text);
    expect(sse.text.length).toBeGreaterThan(0);
    expect(end).toMatchObject({ outcome: "done", error: null });
    expect(tab.ofStream(streamId).at(-1)).toBe(end);
    expect(end.message_id).toBe((await answerOf(sessionId))?.id);
    tab.close();
  });

  it("a tab attaching after the end is replayed nothing; the message is stored under the end's id", async () => {
    const { browser } = await account();
    const watcher = await Tab.open(browser);
    const { caller, sessionId, streamId } = await stream(browser, { reply: "all of it" });
    const sse = await caller.rest();
    expect(sse.text).toBe("all of it");
    // Every tab hears of every stream: start and end, but no chunks of a session it does not follow.
    const end = await watcher.end(streamId);
    expect(watcher.ofStream(streamId).map((m) => m.type)).toEqual(["start", "end"]);

    const late = await Tab.open(browser);
    await late.follow(sessionId);
    expect(late.ofStream(streamId)).toEqual([]);
    const transcript = await (await browser.fetch(`/api/sessions/${sessionId}/messages`)).json<{
      data: { id: string; role: string; content: string }[];
    }>();
    expect(transcript.data.at(-1)).toMatchObject({
      id: end.message_id,
      role: "assistant",
      content: "all of it",
    });
    watcher.close();
    late.close();
  });

  it("names the stream in the 200 of /v1/chat/completions too", async () => {
    const { browser } = await account();
    const { key } = await keyFor(browser);
    const res = await v1("/chat/completions", key, {
      method: "POST",
      body: JSON.stringify({
        model: "gpt-5-mini",
        stream: true,
        max_tokens: 20,
        messages: [{ role: "user", content: scripted("hi", { reply: "ok" }) }],
      }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-stream-id")).toMatch(/^[0-9a-f-]{36}$/);
    await res.text();
  });

  it("refuses a tab without a session (401), from another site (403), or not upgrading (426)", async () => {
    const { browser } = await account();
    const anonymous = await call("/api/live", {
      headers: { upgrade: "websocket", origin: ORIGIN },
    });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: { code: "unauthorized" } });

    const foreign = await browser.fetch("/api/live", {
      headers: { upgrade: "websocket", origin: "https://evil.example" },
    });
    expect(foreign.status).toBe(403);
    expect(foreign.webSocket).toBeNull();
    expect(await foreign.json()).toMatchObject({ error: { code: "cross_site" } });

    const plain = await browser.fetch("/api/live");
    expect(plain.status).toBe(426);
    expect(await plain.json()).toMatchObject({ error: { code: "upgrade_required" } });
  });

  it("gives another account's tab nothing, even following this account's session", async () => {
    const a = await account();
    const b = await account();
    const intruder = await Tab.open(b.browser);
    const { caller, sessionId, streamId } = await stream(a.browser, {
      tokens: 30,
      chunk_delay_ms: 10,
    });
    await intruder.follow(sessionId);
    const own = await Tab.open(a.browser);
    await caller.rest();
    await own.end(streamId);
    await intruder.roundTrip();
    expect(intruder.messages.map((m) => m.type)).toEqual(["hello", "pong", "pong"]);
    expect(intruder.messages[0]).toMatchObject({ account_id: b.accountId });
    intruder.close();
    own.close();
  });
});

describe("a stream and its readers", () => {
  it("outlives its caller while a tab follows it, and settles in full", async () => {
    const { browser, accountId } = await account();
    const { caller, sessionId, streamId } = await stream(browser, {
      tokens: 40,
      chunk_delay_ms: 25,
    });
    const tab = await Tab.open(browser);
    await tab.follow(sessionId);
    await caller.readEvents(4);
    await caller.leave();

    const end = await tab.end(streamId);
    expect(end).toMatchObject({ outcome: "done", error: null });
    const chunks = tab.chunks(streamId).map((c) => c.data);
    expect(chunks.map((_, n) => n)).toEqual(tab.chunks(streamId).map((c) => c.seq));
    const { usage } = chunks.at(-1) as unknown as {
      usage: { completion_tokens: number; total_tokens: number };
    };
    expect(usage.completion_tokens).toBe(40);
    const row = await settled(accountId);
    expect(row).toMatchObject({
      status: "ok",
      completionTokens: 40,
      debitedTokens: usage.total_tokens,
    });
    expect(await usedTokens(accountId)).toBe(usage.total_tokens);
    const answer = await answerOf(sessionId);
    expect(answer).toMatchObject({ id: end.message_id, finishReason: "stop" });
    expect(answer?.content).toBe(textOf(chunks));
    // What was kept for the tabs is freed once the stream has settled.
    await eventually(async () => (await keptKeys(accountId)).length === 0);
    tab.close();
  });

  it("nobody ever followed: stopped as soon as its caller leaves, charged what streamed", async () => {
    const { browser, accountId } = await account();
    const { caller } = await stream(browser, { tokens: 300, chunk_delay_ms: 10 });
    await caller.readEvents(6);
    const left = Date.now();
    await caller.leave();
    const row = await settled(accountId);
    expect(Date.now() - left).toBeLessThan(FOLLOWER_GRACE_MS);
    expect(row.status).toBe("aborted");
    expect(row.completionTokens).toBeLessThan(300);
    expect(row.debitedTokens).toBe(row.promptTokens + row.completionTokens);
    expect(await usedTokens(accountId)).toBe(row.debitedTokens);
  });

  it("its follower and caller gone: waits the grace for a tab, then stops, charged what streamed", async () => {
    const { browser, accountId } = await account();
    const { caller, sessionId } = await stream(browser, { tokens: 500, chunk_delay_ms: 20 }, 512);
    const tab = await Tab.open(browser);
    await tab.follow(sessionId);
    await caller.readEvents(6);
    tab.close();
    await tab.closed;
    const left = Date.now();
    await caller.leave();

    const row = await settled(accountId, FOLLOWER_GRACE_MS + 5_000);
    expect(Date.now() - left).toBeGreaterThanOrEqual(FOLLOWER_GRACE_MS - 100);
    expect(row.status).toBe("aborted");
    // Paused while nobody read: what streamed is about what the caller was sent.
    expect(row.completionTokens).toBeLessThan(50);
    expect(row.debitedTokens).toBe(row.promptTokens + row.completionTokens);
    expect(await usedTokens(accountId)).toBe(row.debitedTokens);
    const answer = await answerOf(sessionId);
    expect(answer?.finishReason).toBe("aborted");
  });

  it("a tab coming back within the grace picks it up where it was, and it settles in full", async () => {
    const { browser, accountId } = await account();
    const { caller, sessionId, streamId } = await stream(browser, {
      tokens: 60,
      chunk_delay_ms: 20,
    });
    const before = await Tab.open(browser);
    await before.follow(sessionId);
    await caller.readEvents(6);
    // A reload: the page's request and socket go, a new socket comes back and follows.
    before.close();
    await before.closed;
    await caller.leave();
    const after = await Tab.open(browser);
    await after.follow(sessionId);
    const end = await after.end(streamId);
    expect(end).toMatchObject({ outcome: "done" });
    const chunks = after.chunks(streamId);
    expect(chunks.map((c) => c.seq)).toEqual(chunks.map((_, n) => n));
    expect(await settled(accountId)).toMatchObject({ status: "ok", completionTokens: 60 });
    expect((await answerOf(sessionId))?.content).toBe(textOf(chunks.map((c) => c.data)));
    after.close();
  });

  it("a stop from a tab ends the caller's stream with a stopped error, settled aborted", async () => {
    const { browser, accountId } = await account();
    const { caller, sessionId, streamId } = await stream(browser, {
      tokens: 300,
      chunk_delay_ms: 20,
    });
    const tab = await Tab.open(browser);
    await tab.follow(sessionId);
    const read = caller.rest();
    await tab.waitFor((m) => m.type === "chunk" && (m.seq as number) >= 4);
    tab.send({ type: "stop", stream_id: streamId });

    const sse = await read;
    expect(sse.done).toBe(false);
    expect(sse.events.at(-1)).toMatchObject({ error: { code: "stopped" } });
    const end = await tab.end(streamId);
    expect(end).toMatchObject({ outcome: "aborted", error: { code: "stopped" } });
    const row = await settled(accountId);
    expect(row.status).toBe("aborted");
    expect(row.completionTokens).toBeLessThan(300);
    expect(row.debitedTokens).toBe(row.promptTokens + row.completionTokens);
    expect(await usedTokens(accountId)).toBe(row.debitedTokens);
    const answer = await answerOf(sessionId);
    expect(answer?.id).toBe(end.message_id);
    expect(answer?.content).toBe(sse.text);
    tab.close();
  });

  it("the object restarting mid-stream: a tab is given what was sent and the cut, and the alarm settles it", async () => {
    const { browser, accountId } = await account();
    const { caller, sessionId, streamId } = await stream(browser, {
      tokens: 300,
      chunk_delay_ms: 20,
    });
    const before = await Tab.open(browser);
    await before.follow(sessionId);
    const read = caller.rest().catch(() => null);
    // Past a second, so the progress the alarm charges from has been saved.
    await before.waitFor((m) => m.type === "chunk" && (m.seq as number) >= 60);
    // Kept chunks are written behind (WRITE_BEHIND_MS): wait until those seen so far are.
    const seen = textOf(before.chunks(streamId).map((c) => c.data));
    const count = before.chunks(streamId).length;
    await eventually(async () => (await keptChunks(accountId)) >= count);
    await runInDurableObject(agentFor(accountId), (_, state) => {
      state.abort("restarted by the test");
    }).catch(() => {});
    await read;
    const seenByRestart = textOf(before.chunks(streamId).map((c) => c.data));

    const after = await Tab.open(browser);
    await after.follow(sessionId);
    const end = await after.end(streamId);
    expect(end).toMatchObject({
      outcome: "error",
      error: { code: "interrupted" },
      message_id: null,
    });
    const replayed = after.chunks(streamId);
    expect(replayed.map((c) => c.seq)).toEqual(replayed.map((_, n) => n));
    const text = textOf(replayed.map((c) => c.data));
    expect(text.startsWith(seen)).toBe(true);
    expect(seenByRestart.startsWith(text) || text.startsWith(seenByRestart)).toBe(true);
    expect(seen.length).toBeGreaterThan(0);
    expect(after.ofStream(streamId)[0]).toMatchObject({ type: "start", session_id: sessionId });

    expect(await runDurableObjectAlarm(agentFor(accountId))).toBe(true);
    const rows = await usageRows(accountId);
    expect(rows).toMatchObject([{ status: "settled_by_alarm" }]);
    expect(rows[0]?.completionTokens).toBeGreaterThan(0);
    expect(await usedTokens(accountId)).toBe(rows.reduce((sum, r) => sum + r.debitedTokens, 0));
    const open = await withDb((db) =>
      db.select().from(openReservations).where(eq(openReservations.accountId, accountId)),
    );
    expect(open).toEqual([]);
    // What was kept for it is gone, and a tab following now is given nothing of it.
    expect(await keptKeys(accountId)).toEqual([]);
    const later = await Tab.open(browser);
    await later.follow(sessionId);
    expect(later.ofStream(streamId)).toEqual([]);
    after.close();
    later.close();
  });
});

describe("other news for the tabs", () => {
  it("a tool call completed in one tab is announced to the others", async () => {
    const { browser } = await account();
    const { sessionId, events } = await runPythonTurn(browser, "run it", "print(1)");
    const id = events
      .flatMap((e) => e.choices as { delta: { tool_calls?: { id?: string }[] } }[])
      .flatMap((c) => c.delta.tool_calls ?? [])
      .find((t) => t.id)?.id;
    const tab = await Tab.open(browser);
    const res = await browser.fetch(`/api/tool-calls/${id}/complete`, {
      method: "POST",
      json: { status: "done", executed_code: "print(1)", output: "1\n" },
    });
    expect(res.status).toBe(200);
    expect(await tab.waitFor((m) => m.type === "changed")).toEqual({
      type: "changed",
      what: "tool_call",
      id,
      session_id: sessionId,
    });
    tab.close();
  });

  it("a merge tells the anonymous account's tabs to move, and closes them with 4001", async () => {
    const login = uniqueLogin("live-merge");
    const { me: target } = await signedInWithOidc(login);
    const anon = await account();
    const tab = await Tab.open(anon.browser);
    await anon.browser.signInWithOidc(login);
    expect((await anon.browser.me()).account_id).toBe(target.account_id);
    await tab.waitFor((m) => m.type === "moved");
    expect((await tab.closed).code).toBe(4001);
    // The cookie now names the survivor, whose agent the tab reconnects to.
    const back = await Tab.open(anon.browser);
    expect(back.messages[0]).toMatchObject({ type: "hello", account_id: target.account_id });
    back.close();
  });
});
