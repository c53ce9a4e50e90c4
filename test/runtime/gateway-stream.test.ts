// The gateway's happy paths: streamed and whole completions with usage, the transcript it
// records (session, messages, tool calls), and every provider path through the same engine.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { agentSessions, agentToolCalls } from "../../src/db/schema";
import { withDb } from "./helpers";
import {
  account,
  chat,
  chatOk,
  readSse,
  scripted,
  sessionMessages,
  settled,
  upstreamBody,
  usageRows,
  usedTokens,
} from "./inference-helpers";

const PYTHON_RUN = {
  type: "function",
  function: {
    name: "python_run",
    description: "Run Python in the browser",
    parameters: { type: "object", properties: { code: { type: "string" } }, required: ["code"] },
  },
};

describe("POST /api/inference", () => {
  it("streams chunks with the exact text and a final usage chunk, then settles that usage", async () => {
    const { browser, accountId } = await account();
    const res = await chat(browser, {
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 100,
      messages: [
        { role: "user", content: scripted("Say hello", { reply: "Hello there, friend!" }) },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const sessionId = res.headers.get("x-session-id");
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    const { events, done, text } = await readSse(res);
    expect(done).toBe(true);
    expect(text).toBe("Hello there, friend!");
    const last = events.at(-1) as {
      choices: unknown[];
      usage: { total_tokens: number; completion_tokens: number };
    };
    expect(last.choices).toEqual([]);
    expect(last.usage.completion_tokens).toBeGreaterThan(0);
    const finish = events
      .flatMap((e) => e.choices as { finish_reason: string | null }[])
      .find((c) => c.finish_reason);
    expect(finish?.finish_reason).toBe("stop");

    // Settled before [DONE]: the row and the bucket already say what the caller was told.
    const [row] = await usageRows(accountId);
    expect(row).toMatchObject({ status: "ok", debitedTokens: last.usage.total_tokens, sessionId });
    expect(await usedTokens(accountId)).toBe(last.usage.total_tokens);
  });

  it("answers stream:false with one chat.completion", async () => {
    const { browser } = await account();
    const res = await chat(browser, {
      max_tokens: 50,
      messages: [{ role: "user", content: scripted("hi", { reply: "Whole answer." }) }],
    });
    expect(res.status).toBe(200);
    const body = await res.json<{
      object: string;
      choices: { message: { content: string }; finish_reason: string }[];
      usage: { total_tokens: number };
    }>();
    expect(body.object).toBe("chat.completion");
    expect(body.choices[0]?.message.content).toBe("Whole answer.");
    expect(body.choices[0]?.finish_reason).toBe("stop");
    expect(body.usage.total_tokens).toBeGreaterThan(0);
  });

  it("records the session, both messages and the proposed tool call; a follow-up appends", async () => {
    const { browser, accountId } = await account();
    const code = "print(sum(range(10)))";
    const res = await chat(browser, {
      stream: true,
      max_tokens: 200,
      tools: [PYTHON_RUN],
      messages: [
        { role: "system", content: "You write Python." },
        {
          role: "user",
          content: scripted("Add up the first ten numbers", {
            reply: "Let me compute that.",
            tool_call: { name: "python_run", arguments: { code } },
          }),
        },
      ],
    });
    const sessionId = res.headers.get("x-session-id") ?? "";
    const stream = await readSse(res);
    const calls = stream.events
      .flatMap(
        (e) =>
          e.choices as {
            delta: { tool_calls?: { id?: string; function: { arguments?: string } }[] };
          }[],
      )
      .flatMap((c) => c.delta.tool_calls ?? []);
    const callId = calls.find((c) => c.id)?.id ?? "";
    expect(callId).toMatch(/^call_[0-9a-f]{32}$/);
    expect(JSON.parse(calls.map((c) => c.function.arguments ?? "").join(""))).toEqual({ code });

    await withDb(async (db) => {
      const [session] = await db
        .select()
        .from(agentSessions)
        .where(eq(agentSessions.id, sessionId));
      expect(session).toMatchObject({
        accountId,
        title: "Add up the first ten numbers",
        messageCount: 2,
      });
      const messages = await sessionMessages(sessionId);
      expect(messages.map((m) => [m.seq, m.role, m.finishReason])).toEqual([
        [1, "user", null],
        [2, "assistant", "tool_calls"],
      ]);
      expect(messages[1]?.content).toBe("Let me compute that.");
      const [call] = await db.select().from(agentToolCalls).where(eq(agentToolCalls.id, callId));
      expect(call).toMatchObject({
        status: "proposed",
        proposedCode: code,
        name: "python_run",
        messageId: messages[1]?.id,
      });
    });

    // The browser runs the code, then sends the result back on the same session.
    const followUp = await chat(browser, {
      stream: true,
      max_tokens: 100,
      session_id: sessionId,
      tools: [PYTHON_RUN],
      messages: [
        { role: "user", content: "Add up the first ten numbers" },
        {
          role: "assistant",
          content: "Let me compute that.",
          tool_calls: [
            {
              id: callId,
              type: "function",
              function: { name: "python_run", arguments: JSON.stringify({ code }) },
            },
          ],
        },
        { role: "tool", tool_call_id: callId, content: "45" },
      ],
    });
    expect(followUp.headers.get("x-session-id")).toBe(sessionId);
    expect((await readSse(followUp)).text.length).toBeGreaterThan(0);
    // A tool-result turn adds only the assistant's answer (the result lives on the tool call).
    expect((await sessionMessages(sessionId)).map((m) => [m.seq, m.role])).toEqual([
      [1, "user"],
      [2, "assistant"],
      [3, "assistant"],
    ]);
  });

  it("records a turn the model answered with nothing, so its announced session exists", async () => {
    const { browser } = await account();
    const res = await chat(browser, {
      stream: true,
      max_tokens: 20,
      messages: [{ role: "user", content: scripted("say nothing", { reply: "" }) }],
    });
    const sessionId = res.headers.get("x-session-id") ?? "";
    expect((await readSse(res)).text).toBe("");

    const next = await chat(browser, {
      session_id: sessionId,
      max_tokens: 20,
      messages: [{ role: "user", content: scripted("again", { reply: "ok" }) }],
    });
    expect(next.status).toBe(200);
    await next.text();
    expect((await sessionMessages(sessionId)).map((m) => [m.role, m.content])).toEqual([
      ["user", scripted("say nothing", { reply: "" })],
      ["assistant", ""],
      ["user", scripted("again", { reply: "ok" })],
      ["assistant", "ok"],
    ]);
  });

  it("names no session when the turn failed", async () => {
    const { browser } = await account();
    const res = await chat(browser, {
      stream: true,
      max_tokens: 20,
      messages: [{ role: "user", content: scripted("x", { fail: 500 }) }],
    });
    expect(res.status).toBe(502);
    expect(res.headers.get("x-session-id")).toBeNull();
  });

  it("rejects another account's session with a 404 and reserves nothing", async () => {
    const owner = await account();
    const res = await chatOk(owner.browser, 20);
    const sessionId = res.headers.get("x-session-id");
    await res.text();
    const stranger = await account();
    const denied = await chat(stranger.browser, {
      session_id: sessionId,
      max_tokens: 20,
      messages: [{ role: "user", content: "hi" }],
    });
    expect(denied.status).toBe(404);
    expect(await usedTokens(stranger.accountId)).toBe(0);
    expect(await usageRows(stranger.accountId)).toEqual([]);
  });

  it("streams Anthropic text and tool use as OpenAI chunks with index-stable tool calls", async () => {
    const { browser, accountId } = await account();
    const code = 'import math\nprint(f"{math.pi:.3f}")';
    const res = await chat(browser, {
      model: "claude-haiku-4-5",
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 300,
      tools: [PYTHON_RUN],
      messages: [
        { role: "system", content: "Be brief." },
        {
          role: "user",
          content: scripted("pi please", {
            reply: "Computing pi.",
            tool_call: [
              { name: "python_run", arguments: { code } },
              { name: "python_run", arguments: { code: "print(2)" } },
            ],
          }),
        },
      ],
    });
    expect(res.status).toBe(200);
    const { events, text, done } = await readSse(res);
    expect(done).toBe(true);
    expect(text).toBe("Computing pi.");
    const deltas = events
      .flatMap(
        (e) =>
          e.choices as {
            delta: {
              tool_calls?: {
                index: number;
                id?: string;
                function: { name?: string; arguments?: string };
              }[];
            };
            finish_reason: string | null;
          }[],
      )
      .flatMap((c) => c.delta.tool_calls ?? []);
    const byIndex = new Map<number, { id?: string; name?: string; args: string }>();
    for (const d of deltas) {
      const call = byIndex.get(d.index) ?? { args: "" };
      call.id ??= d.id;
      call.name ??= d.function.name;
      call.args += d.function.arguments ?? "";
      byIndex.set(d.index, call);
    }
    expect([...byIndex.keys()]).toEqual([0, 1]);
    expect(JSON.parse(byIndex.get(0)?.args ?? "")).toEqual({ code });
    expect(JSON.parse(byIndex.get(1)?.args ?? "")).toEqual({ code: "print(2)" });
    const finish = events
      .flatMap((e) => e.choices as { finish_reason: string | null }[])
      .find((c) => c.finish_reason)?.finish_reason;
    expect(finish).toBe("tool_calls");
    const usage = (events.at(-1) as { usage?: { total_tokens: number } }).usage;
    expect(usage?.total_tokens).toBeGreaterThan(0);
    const row = await settled(accountId);
    expect(row).toMatchObject({
      provider: "anthropic",
      status: "ok",
      debitedTokens: usage?.total_tokens,
    });
  });

  it("serves OpenRouter models through the OpenAI-compatible provider", async () => {
    const { browser, accountId } = await account("free");
    const res = await chat(browser, {
      model: "openai/gpt-oss-120b",
      max_tokens: 30,
      messages: [{ role: "user", content: scripted("hi", { reply: "via router" }) }],
    });
    expect(res.status).toBe(200);
    expect(
      (await res.json<{ choices: { message: { content: string } }[] }>()).choices[0]?.message
        .content,
    ).toBe("via router");
    expect((await usageRows(accountId))[0]?.provider).toBe("openrouter");
  });
});

describe("request parameters", () => {
  const tool = (strict: boolean) => ({
    type: "function",
    function: { ...PYTHON_RUN.function, strict },
  });

  /** Every parameter the gateway passes on, each at a value other than the default. */
  const everything = {
    max_tokens: 20,
    tools: [tool(true)],
    tool_choice: { type: "function", function: { name: "python_run" } },
    parallel_tool_calls: false,
    temperature: 0.3,
    top_p: 0.9,
    stop: "END",
    seed: 7,
    reasoning_effort: "low",
    frequency_penalty: 0.5,
    presence_penalty: -0.5,
  };

  it.each([
    ["OpenAI", "max_completion_tokens", "gpt-5-mini", "max_tokens"],
    [
      "another OpenAI-compatible server",
      "max_tokens",
      "openai/gpt-oss-120b",
      "max_completion_tokens",
    ],
  ])("reach %s as sent, the output limit as %s", async (_, limit, model, otherLimit) => {
    const { browser } = await account("pro");
    const marker = crypto.randomUUID();
    const res = await chat(browser, {
      ...everything,
      model,
      messages: [{ role: "user", name: "ada", content: scripted(marker, { reply: "ok" }) }],
    });
    expect(res.status).toBe(200);
    const body = await upstreamBody(marker);
    expect(body).toMatchObject({
      model,
      messages: [{ role: "user", name: "ada" }],
      tools: [{ type: "function", function: { name: "python_run", strict: true } }],
      tool_choice: { type: "function", function: { name: "python_run" } },
      parallel_tool_calls: false,
      temperature: 0.3,
      top_p: 0.9,
      stop: ["END"],
      seed: 7,
      reasoning_effort: "low",
      frequency_penalty: 0.5,
      presence_penalty: -0.5,
      [limit]: 20,
    });
    expect(body).not.toHaveProperty(otherLimit);
  });

  it("reach Anthropic translated, without what its Messages API does not take", async () => {
    const { browser } = await account("pro");
    const marker = crypto.randomUUID();
    const ask = scripted(marker, { reply: "ok" });
    // The penalties are refused for Anthropic models (below); everything else is sent.
    const { frequency_penalty, presence_penalty, ...accepted } = everything;
    const res = await chat(browser, {
      ...accepted,
      model: "claude-haiku-4-5",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", name: "ada", content: ask },
      ],
    });
    expect(res.status).toBe(200);
    const body = await upstreamBody(marker);
    expect(body).toMatchObject({
      model: "claude-haiku-4-5",
      max_tokens: 20,
      system: "Be brief.",
      tools: [{ name: "python_run", strict: true }],
      tool_choice: { type: "tool", name: "python_run", disable_parallel_tool_use: true },
      stop_sequences: ["END"],
    });
    // No name on the message, nor any parameter the API has no place for.
    expect(body.messages).toEqual([{ role: "user", content: [{ type: "text", text: ask }] }]);
    for (const absent of [
      "temperature",
      "top_p",
      "seed",
      "reasoning_effort",
      "stop",
      "parallel_tool_calls",
    ])
      expect(body).not.toHaveProperty(absent);
  });

  it("leave out parallel_tool_calls without tools, which providers refuse", async () => {
    const { browser } = await account("pro");
    const marker = crypto.randomUUID();
    const res = await chat(browser, {
      max_tokens: 20,
      messages: [{ role: "user", content: scripted(marker, { reply: "ok" }) }],
      parallel_tool_calls: false,
    });
    expect(res.status).toBe(200);
    expect(await upstreamBody(marker)).not.toHaveProperty("parallel_tool_calls");
  });

  it("reach Anthropic translated: one tool call at a time, strict tools", async () => {
    const { browser } = await account("pro");
    const marker = crypto.randomUUID();
    const res = await chat(browser, {
      model: "claude-haiku-4-5",
      max_tokens: 20,
      messages: [{ role: "user", content: scripted(marker, { reply: "ok" }) }],
      tools: [tool(true)],
      parallel_tool_calls: false,
    });
    expect(res.status).toBe(200);
    expect(await upstreamBody(marker)).toMatchObject({
      tools: [{ name: "python_run", strict: true }],
      tool_choice: { type: "auto", disable_parallel_tool_use: true },
    });
  });

  it("that Anthropic cannot honour are refused for its models, before anything is reserved", async () => {
    const { browser, accountId } = await account("pro");
    const res = await chat(browser, {
      model: "claude-haiku-4-5",
      max_tokens: 20,
      messages: [{ role: "user", content: "hi" }],
      frequency_penalty: 0.5,
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { param: "frequency_penalty" } });
    expect(await usageRows(accountId)).toEqual([]);
  });
});

describe("user text that looks like a special token", () => {
  it("is counted as text, not refused", async () => {
    const { browser } = await account();
    const res = await chat(browser, {
      max_tokens: 20,
      messages: [
        { role: "user", content: scripted("what is <|endoftext|>?", { reply: "a marker" }) },
      ],
    });
    expect(res.status).toBe(200);
    expect(
      (await res.json<{ choices: { message: { content: string } }[] }>()).choices[0]?.message
        .content,
    ).toBe("a marker");
  });
});
