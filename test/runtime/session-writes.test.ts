// PATCH and DELETE /api/sessions/:id: the owner renames or deletes a session; anyone else, and
// any bad request, changes nothing.
import { count, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { agentMessages, agentSessions, agentToolCalls } from "../../src/db/schema";
import { Browser } from "./browser";
import { withDb } from "./helpers";
import { account, chat, runPythonTurn, usageRows, usedTokens } from "./inference-helpers";

interface Session {
  id: string;
  title: string;
  message_count: number;
  created_at: string;
  updated_at: string;
}

/** A session made by a streamed turn: a user message, a reply and a proposed tool call. */
async function sessionWithCall(browser: Browser, title: string) {
  const { sessionId } = await runPythonTurn(browser, title, "print(6*7)", "On it.");
  if (!sessionId) throw new Error("no session");
  return sessionId;
}

const list = async (browser: Browser) =>
  (await (await browser.fetch("/api/sessions")).json<{ data: Session[] }>()).data;

const rename = (browser: Browser, id: string, body: unknown) =>
  browser.fetch(`/api/sessions/${id}`, { method: "PATCH", json: body });

const remove = (browser: Browser, id: string) =>
  browser.fetch(`/api/sessions/${id}`, { method: "DELETE" });

/** What Postgres holds for a session: the row, and how many messages and tool calls. */
async function stored(sessionId: string) {
  return withDb(async (db) => {
    const [session] = await db.select().from(agentSessions).where(eq(agentSessions.id, sessionId));
    const [messages] = await db
      .select({ n: count() })
      .from(agentMessages)
      .where(eq(agentMessages.sessionId, sessionId));
    const [calls] = await db
      .select({ n: count() })
      .from(agentToolCalls)
      .where(eq(agentToolCalls.sessionId, sessionId));
    return { session, messages: messages?.n, calls: calls?.n };
  });
}

async function expectNotFound(res: Response) {
  expect(res.status).toBe(404);
  expect(await res.json()).toMatchObject({ error: { code: "not_found" } });
}

describe("PATCH /api/sessions/:id", () => {
  it("renames the session, trimmed, without moving it in the list", async () => {
    const { browser } = await account();
    const older = await sessionWithCall(browser, "First question");
    const newer = await sessionWithCall(browser, "Second question");
    const before = await list(browser);
    expect(before.map((s) => s.id)).toEqual([newer, older]);

    const res = await rename(browser, older, { title: "  Renamed  " });
    expect(res.status).toBe(200);
    const renamed = await res.json<Session>();
    // Renaming is not activity: updated_at, and so the order, stay as they were.
    expect(renamed).toEqual({ ...before[1], title: "Renamed" });
    expect(renamed.message_count).toBe(2);

    const after = await list(browser);
    expect(after).toEqual([before[0], renamed]);

    // 200 characters once trimmed is the most a title may have.
    const longest = "x".repeat(200);
    const res200 = await rename(browser, older, { title: ` ${longest}\n` });
    expect(res200.status).toBe(200);
    expect((await res200.json<Session>()).title).toBe(longest);
  });

  it("refuses a bad title or body with a 400 and changes nothing", async () => {
    const { browser } = await account();
    const id = await sessionWithCall(browser, "Keep this title");
    const before = await stored(id);
    for (const body of [
      { title: "" },
      { title: " \n\t " },
      { title: "x".repeat(201) },
      { title: "a\u0000b" },
      { title: 5 },
      { title: "ok", extra: true },
      {},
      [],
      null,
    ]) {
      const res = await rename(browser, id, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: "invalid_request" } });
    }
    const malformed = await browser.fetch(`/api/sessions/${id}`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: "{title:",
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: { code: "invalid_json" } });
    // Another media type is refused before the body is read, as on every JSON route.
    const notJson = await browser.fetch(`/api/sessions/${id}`, {
      method: "PATCH",
      headers: { "content-type": "text/plain" },
      body: "title=Changed",
    });
    expect(notJson.status).toBe(415);
    expect(await notJson.json()).toMatchObject({ error: { type: "invalid_request_error" } });
    expect(await stored(id)).toEqual(before);
  });
});

describe("DELETE /api/sessions/:id", () => {
  it("removes the session, its messages and tool calls; usage stays, unlinked; quota untouched", async () => {
    const { browser, accountId } = await account();
    const kept = await sessionWithCall(browser, "Keep me");
    const doomed = await sessionWithCall(browser, "Delete me");
    const transcript = await (await browser.fetch(`/api/sessions/${doomed}/messages`)).json<{
      data: { tool_calls: { id: string }[] }[];
    }>();
    const callId = transcript.data[1]?.tool_calls[0]?.id;
    expect(callId).toBeTruthy();
    expect(await stored(doomed)).toMatchObject({ messages: 2, calls: 1 });
    const used = await usedTokens(accountId);
    const usage = await usageRows(accountId);
    expect(usage.map((u) => u.sessionId).sort()).toEqual([kept, doomed].sort());

    const res = await remove(browser, doomed);
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");

    expect((await list(browser)).map((s) => s.id)).toEqual([kept]);
    await expectNotFound(await browser.fetch(`/api/sessions/${doomed}/messages`));
    await expectNotFound(
      await browser.fetch(`/api/tool-calls/${callId}/complete`, {
        method: "POST",
        json: { status: "skipped" },
      }),
    );
    expect(await stored(doomed)).toEqual({ session: undefined, messages: 0, calls: 0 });
    expect(await stored(kept)).toMatchObject({ messages: 2, calls: 1 });

    // Billing history is kept, with the deleted session's link cleared; the quota is as it was.
    const after = await usageRows(accountId);
    expect(after.map((u) => [u.id, u.debitedTokens]).sort()).toEqual(
      usage.map((u) => [u.id, u.debitedTokens]).sort(),
    );
    expect(after.find((u) => u.sessionId === null)?.id).toBe(
      usage.find((u) => u.sessionId === doomed)?.id,
    );
    expect(await usedTokens(accountId)).toBe(used);

    // Gone means gone: a second delete, a rename, and continuing the conversation all miss it.
    await expectNotFound(await remove(browser, doomed));
    await expectNotFound(await rename(browser, doomed, { title: "Back?" }));
    const continued = await chat(browser, {
      session_id: doomed,
      max_tokens: 10,
      messages: [{ role: "user", content: "more" }],
    });
    expect(continued.status).toBe(404);
    await continued.text();
  });
});

describe("PATCH and DELETE /api/sessions/:id for anyone but the owner", () => {
  it("answer 404 for another account's session, an unknown id and a non-uuid, changing nothing", async () => {
    const owner = await account();
    const id = await sessionWithCall(owner.browser, "Mine");
    const before = await stored(id);
    const stranger = await account();
    for (const target of [id, crypto.randomUUID(), "not-a-uuid"]) {
      await expectNotFound(await rename(stranger.browser, target, { title: "Theirs now" }));
      await expectNotFound(await remove(stranger.browser, target));
    }
    for (const target of [crypto.randomUUID(), "not-a-uuid"]) {
      await expectNotFound(await rename(owner.browser, target, { title: "Nothing" }));
      await expectNotFound(await remove(owner.browser, target));
    }
    expect(await stored(id)).toEqual(before);
    expect((await list(owner.browser)).map((s) => s.title)).toEqual(["Mine"]);
  });

  it("answer 401 without a session, changing nothing", async () => {
    const owner = await account();
    const id = await sessionWithCall(owner.browser, "Mine");
    const before = await stored(id);
    const anonymous = new Browser();
    const renamed = await rename(anonymous, id, { title: "Nobody's" });
    expect(renamed.status).toBe(401);
    expect(await renamed.json()).toMatchObject({ error: { code: "unauthorized" } });
    expect((await remove(anonymous, id)).status).toBe(401);
    expect(await stored(id)).toEqual(before);
  });
});
