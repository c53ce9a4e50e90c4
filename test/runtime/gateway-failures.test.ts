// Every way a stream can go wrong still settles right: the caller going away, the provider
// failing before or during the stream, stalling past the timeout, sending garbage, or cutting
// the connection. used_tokens always ends equal to what was really used.
import { describe, expect, it } from "vitest";
import {
  account,
  agentWithVars,
  chat,
  parseSse,
  readSse,
  scripted,
  sessionMessages,
  settled,
  usedTokens,
} from "./inference-helpers";

/**
 * The timeout tests' own UPSTREAM_TIMEOUT_MS, set on their account's agent. The suite's is long,
 * so that no other test is cut off by a slow moment on a loaded machine.
 */
const SHORT_TIMEOUT = { UPSTREAM_TIMEOUT_MS: "1500" };

function streamRequest(content: string) {
  return {
    stream: true,
    stream_options: { include_usage: true },
    max_tokens: 400,
    messages: [{ role: "user", content }],
  };
}

describe("the caller goes away", () => {
  it("writes the usage row for what was streamed and refunds the rest", async () => {
    const { browser, accountId } = await account();
    const res = await chat(
      browser,
      streamRequest(scripted("long story", { tokens: 300, chunk_delay_ms: 10 })),
    );
    expect(res.status).toBe(200);
    const reader = res.body?.getReader();
    if (!reader) throw new Error("no body");
    const decoder = new TextDecoder();
    let raw = "";
    while ((raw.match(/data: /g)?.length ?? 0) < 6) {
      const { value } = await reader.read();
      raw += decoder.decode(value);
    }
    await reader.cancel();

    const row = await settled(accountId);
    expect(row.status).toBe("aborted");
    expect(row.completionTokens).toBeGreaterThanOrEqual(5);
    expect(row.completionTokens).toBeLessThan(300);
    expect(row.debitedTokens).toBe(row.promptTokens + row.completionTokens);
    expect(row.estimatedTokens).toBeGreaterThan(row.debitedTokens);
    expect(await usedTokens(accountId)).toBe(row.debitedTokens);
  });

  it("before the first token: charged the prompt the provider read, nothing more", async () => {
    const { browser, accountId } = await account();
    const res = await chat(
      browser,
      streamRequest(scripted("think first", { tokens: 20, first_token_delay_ms: 5_000 })),
    );
    expect(res.status).toBe(200);
    await res.body?.cancel();

    const row = await settled(accountId);
    expect(row).toMatchObject({ status: "aborted", completionTokens: 0 });
    expect(row.promptTokens).toBeGreaterThan(0);
    expect(row.debitedTokens).toBe(row.promptTokens);
    expect(await usedTokens(accountId)).toBe(row.promptTokens);
  });
});

describe("the provider fails", () => {
  it.each([500, 404])("before streaming (HTTP %i): a JSON 502, nothing charged", async (status) => {
    // A 404 says the gateway is misconfigured (base URL, a retired model): not the caller's fault.
    const { browser, accountId } = await account();
    const res = await chat(browser, streamRequest(scripted("boom", { fail: status })));
    expect(res.status).toBe(502);
    // The provider's own words (which may name the service's account) stay in the log.
    expect(await res.json()).toEqual({
      error: {
        type: "upstream_error",
        code: "upstream_error",
        message: `The model provider failed: it answered HTTP ${status}`,
      },
    });
    const row = await settled(accountId);
    expect(row).toMatchObject({ status: "upstream_error", debitedTokens: 0 });
    expect(await usedTokens(accountId)).toBe(0);
  });

  const OPENAI = "gpt-5-mini";
  const ANTHROPIC = "claude-haiku-4-5";

  it.each([OPENAI, ANTHROPIC])(
    "refusing the request (HTTP 400, %s): a 400 with its reason, not retried as a 5xx, nothing charged",
    async (model) => {
      const { browser, accountId } = await account();
      const res = await chat(browser, { ...streamRequest(scripted("no", { fail: 400 })), model });
      expect(res.status).toBe(400);
      const { error } = await res.json<{
        error: { type: string; code: string; message: string };
      }>();
      expect(error).toMatchObject({ type: "invalid_request_error", code: "upstream_rejected" });
      expect(error.message).toContain("400");
      expect(await settled(accountId)).toMatchObject({
        status: "upstream_error",
        debitedTokens: 0,
      });
      expect(await usedTokens(accountId)).toBe(0);
    },
  );
  it.each([
    [
      "an in-stream error event",
      OPENAI,
      { fail_after_tokens: 4 },
      "upstream_error",
      "upstream_error",
    ],
    ["malformed SSE", OPENAI, { malformed_after_tokens: 4 }, "upstream_error", "upstream_error"],
    ["a connection reset", OPENAI, { cut_after_tokens: 4 }, "upstream_error", "upstream_error"],
    ["a stall past the timeout", OPENAI, { stall_after_tokens: 4 }, "timeout", "upstream_timeout"],
    ["a connection reset", ANTHROPIC, { cut_after_tokens: 4 }, "upstream_error", "upstream_error"],
    [
      "a stall past the timeout",
      ANTHROPIC,
      { stall_after_tokens: 4 },
      "timeout",
      "upstream_timeout",
    ],
  ])(
    "mid-stream (%s, %s): a final SSE error event, charged for what streamed",
    async (_, model, directive, status, code) => {
      const { browser, accountId } = await account();
      if ("stall_after_tokens" in directive) await agentWithVars(accountId, SHORT_TIMEOUT);
      const res = await chat(browser, {
        ...streamRequest(scripted("go", { tokens: 50, ...directive })),
        model,
      });
      expect(res.status).toBe(200);
      const { events, done, text } = parseSse(await res.text());
      expect(done).toBe(false);
      expect(text.length).toBeGreaterThan(0);
      expect(events.at(-1)).toMatchObject({ error: { code } });

      const row = await settled(accountId);
      expect(row.status).toBe(status);
      expect(row.completionTokens).toBeGreaterThanOrEqual(3);
      expect(row.completionTokens).toBeLessThanOrEqual(6);
      expect(row.debitedTokens).toBe(row.promptTokens + row.completionTokens);
      expect(await usedTokens(accountId)).toBe(row.debitedTokens);
    },
  );

  it.each([
    ["a connection reset", { cut_after_tokens: 3 }],
    ["an in-stream error event", { fail_after_tokens: 3 }],
  ])(
    "mid-stream (%s): the turn is still recorded, the person's message and the partial reply",
    async (_, directive) => {
      const { browser } = await account();
      const ask = scripted("count to six", { reply: "one two three four five six", ...directive });
      const res = await chat(browser, streamRequest(ask));
      const sessionId = res.headers.get("x-session-id") ?? "";
      const { text } = await readSse(res);
      expect(text).toBe("one two three");
      expect(
        (await sessionMessages(sessionId)).map((m) => [m.role, m.content, m.finishReason]),
      ).toEqual([
        ["user", ask, null],
        ["assistant", "one two three", "error"],
      ]);
    },
  );

  it("a pause past the timeout that Anthropic fills with pings is not a stall", async () => {
    // As while Claude writes a long tool input, which it does not stream piece by piece.
    const { browser, accountId } = await account();
    await agentWithVars(accountId, SHORT_TIMEOUT);
    const res = await chat(browser, {
      ...streamRequest(scripted("go", { tokens: 10, pause_after_tokens: 4, pause_ms: 3_500 })),
      model: ANTHROPIC,
    });
    const { events, done } = parseSse(await res.text());
    expect(events.filter((e) => "error" in e)).toEqual([]);
    expect(done).toBe(true);
    const row = await settled(accountId);
    expect(row).toMatchObject({ status: "ok", completionTokens: 10 });
  });

  it("answers a non-streaming request whose provider stalls with a 504, nothing charged", async () => {
    const { browser, accountId } = await account();
    await agentWithVars(accountId, SHORT_TIMEOUT);
    const res = await chat(browser, {
      max_tokens: 100,
      messages: [{ role: "user", content: scripted("wait", { first_token_delay_ms: 5_000 }) }],
    });
    expect(res.status).toBe(504);
    expect(await res.json()).toMatchObject({ error: { code: "upstream_timeout" } });
    expect((await settled(accountId)).debitedTokens).toBe(0);
    expect(await usedTokens(accountId)).toBe(0);
  });

  it("counts the tokens itself when the provider sends no usage", async () => {
    const { browser, accountId } = await account();
    const res = await chat(
      browser,
      streamRequest(scripted("count", { reply: "one two three four five", omit_usage: true })),
    );
    const { events, text } = await readSse(res);
    expect(text).toBe("one two three four five");
    const usage = (events.at(-1) as { usage: { completion_tokens: number; total_tokens: number } })
      .usage;
    expect(usage.completion_tokens).toBe(5);
    expect(await usedTokens(accountId)).toBe(usage.total_tokens);
  });
});
