// The scripted model (scripts/scripted-model) speaks OpenAI chat completions and Anthropic
// Messages well enough for the official SDKs, reports exactly the usage it streamed, and fails
// on cue; without a directive it plays a coding agent that proposes Python.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inflateSync } from "node:zlib";
import Anthropic from "@anthropic-ai/sdk";
import { countTokens } from "gpt-tokenizer";
import OpenAI from "openai";
import type { ChatCompletionChunk } from "openai/resources/chat/completions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoTurn } from "../../scripts/scripted-model/demo.mjs";
import { startScriptedModel } from "../../scripts/scripted-model/server.mjs";

let model: Awaited<ReturnType<typeof startScriptedModel>>;
beforeAll(async () => {
  model = await startScriptedModel();
});
afterAll(() => model.stop());

const scripted = (text: string, directive: Record<string, unknown>) =>
  `${text}\n@scripted ${JSON.stringify(directive)}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const openai = () =>
  new OpenAI({ apiKey: "sk-test", baseURL: `${model.url}/v1`, maxRetries: 0, logLevel: "off" });
const anthropic = () =>
  new Anthropic({ apiKey: "sk-ant-test", baseURL: model.url, maxRetries: 0, logLevel: "off" });

const PYTHON_RUN = {
  type: "function" as const,
  function: { name: "python_run", parameters: { type: "object", properties: {} } },
};
const PYTHON_RUN_ANTHROPIC = { name: "python_run", input_schema: { type: "object" as const } };

type ChatParams = OpenAI.Chat.ChatCompletionCreateParamsStreaming;
type ClaudeParams = Anthropic.MessageCreateParamsNonStreaming;

/** An OpenAI stream (with usage) answering one user message, or the given messages. */
function chatStream(
  content: string | ChatParams["messages"],
  extra: Partial<ChatParams> = {},
  signal?: AbortSignal,
) {
  const messages = typeof content === "string" ? [{ role: "user" as const, content }] : content;
  return openai().chat.completions.create(
    {
      model: "gpt-5-mini",
      stream: true,
      stream_options: { include_usage: true },
      messages,
      ...extra,
    },
    { signal },
  );
}

/** Anthropic request parameters answering one user message, or the given messages. */
function claude(
  content: string | ClaudeParams["messages"],
  extra: Partial<ClaudeParams> = {},
): ClaudeParams {
  const messages = typeof content === "string" ? [{ role: "user" as const, content }] : content;
  return { model: "claude-haiku-4-5", max_tokens: 300, messages, ...extra };
}

/** Reads an OpenAI stream: content pieces, tool-call deltas and calls by index, finish, usage. */
async function collect(stream: AsyncIterable<ChatCompletionChunk>) {
  const pieces: string[] = [];
  const calls = new Map<number, { id?: string; name?: string; args: string }>();
  const toolDeltas: unknown[] = [];
  let finish: string | null = null;
  let usage: ChatCompletionChunk["usage"] = null;
  for await (const chunk of stream) {
    if (chunk.usage) usage = chunk.usage;
    const choice = chunk.choices[0];
    if (!choice) continue;
    if (choice.delta.content) pieces.push(choice.delta.content);
    for (const d of choice.delta.tool_calls ?? []) {
      toolDeltas.push(d);
      const call = calls.get(d.index) ?? { args: "" };
      call.id ??= d.id;
      call.name ??= d.function?.name;
      call.args += d.function?.arguments ?? "";
      calls.set(d.index, call);
    }
    finish = choice.finish_reason ?? finish;
  }
  return { pieces, text: pieces.join(""), calls, toolDeltas, finish, usage };
}

const chat = async (...args: Parameters<typeof chatStream>) => collect(await chatStream(...args));

const OPENAI_PATH = "/v1/chat/completions";
const ANTHROPIC_PATH = "/v1/messages";

/** Raw bytes of a streamed answer to one user message, and how the transfer ended. */
async function rawStream(path: string, content: string, extra: Record<string, unknown> = {}) {
  const body = path === OPENAI_PATH ? { model: "gpt-5-mini" } : { model: "c", max_tokens: 500 };
  const res = await fetch(`${model.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      ...body,
      stream: true,
      messages: [{ role: "user", content }],
      ...extra,
    }),
  });
  const reader = res.body?.getReader();
  if (!reader) throw new Error("no body");
  const decoder = new TextDecoder();
  let raw = "";
  let error: unknown = null;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      raw += decoder.decode(value, { stream: true });
    }
  } catch (e) {
    error = e;
  }
  return { res, raw, error };
}

/** Well-formed text and tool-argument deltas in raw SSE of either protocol. */
function rawPieces(raw: string): number {
  let count = 0;
  for (const frame of raw.split("\n\n")) {
    const data = frame.split("\n").find((l) => l.startsWith("data: "));
    let parsed: unknown;
    try {
      parsed = JSON.parse(data?.slice(6) ?? "");
    } catch {
      continue;
    }
    if (frame.startsWith("event: content_block_delta")) count += 1;
    const delta = (parsed as ChatCompletionChunk).choices?.[0]?.delta;
    if (delta?.content || delta?.tool_calls?.[0]?.function?.arguments) count += 1;
  }
  return count;
}

describe("OpenAI chat completions", () => {
  it("streams the exact reply one token per chunk, with usage equal to the chunks", async () => {
    const reply = "Hello there, friend! The answer is 42.";
    const before = model.requests.length;
    const got = await chat([
      { role: "system", content: "Be brief." },
      { role: "user", content: scripted("Say hello", { reply }) },
    ]);
    expect(got.text).toBe(reply);
    expect(got.finish).toBe("stop");
    expect(got.pieces.length).toBe(countTokens(reply));
    expect(got.pieces.every((p) => countTokens(p) === 1)).toBe(true);
    expect(got.usage?.completion_tokens).toBe(got.pieces.length);
    expect(got.usage?.prompt_tokens).toBeGreaterThan(countTokens(reply));
    expect(got.usage?.total_tokens).toBe(
      (got.usage?.prompt_tokens ?? 0) + (got.usage?.completion_tokens ?? 0),
    );
    const recorded = model.requests.slice(before);
    expect(recorded.map((r) => [r.path, r.headers.authorization])).toEqual([
      [OPENAI_PATH, "Bearer sk-test"],
    ]);
  });

  it("answers stream:false with the same text and usage as the stream", async () => {
    const content = scripted("hi", { reply: "Whole answer, in one piece." });
    const whole = await openai().chat.completions.create({
      model: "gpt-5-mini",
      messages: [{ role: "user", content }],
    });
    const streamed = await chat(content);
    expect(whole.object).toBe("chat.completion");
    expect(whole.choices[0]?.message.content).toBe(streamed.text);
    expect(whole.choices[0]?.finish_reason).toBe("stop");
    expect(whole.usage).toEqual(streamed.usage);
  });

  it("streams tool calls by index: id and name first, then argument fragments", async () => {
    const code = 'import math\nprint(f"{math.pi:.3f}")';
    const directive = {
      reply: "Computing pi.",
      tool_call: [
        { name: "python_run", arguments: { code } },
        { name: "python_run", arguments: { code: "print(2)" } },
      ],
    };
    const got = await chat(scripted("pi please", directive), { tools: [PYTHON_RUN] });
    expect(got.text).toBe("Computing pi.");
    expect(got.finish).toBe("tool_calls");
    expect([...got.calls.keys()]).toEqual([0, 1]);
    expect(got.calls.get(0)).toMatchObject({ id: expect.stringMatching(/^call_/) });
    expect(JSON.parse(got.calls.get(0)?.args ?? "")).toEqual({ code });
    expect(JSON.parse(got.calls.get(1)?.args ?? "")).toEqual({ code: "print(2)" });
    expect(got.toolDeltas[0]).toEqual({
      index: 0,
      id: got.calls.get(0)?.id,
      type: "function",
      function: { name: "python_run", arguments: "" },
    });
    expect(got.toolDeltas[1]).toEqual({ index: 0, function: { arguments: expect.any(String) } });
    const fragments = got.toolDeltas.length - got.calls.size;
    expect(got.usage?.completion_tokens).toBe(got.pieces.length + fragments);
  });

  it("never calls a tool that was not offered", async () => {
    const got = await chat(
      scripted("x", { reply: "Just text.", tool_call: { name: "python_run" } }),
    );
    expect(got).toMatchObject({ text: "Just text.", finish: "stop" });
    expect(got.calls.size).toBe(0);
  });

  it("streams `tokens: N` filler as N chunks, and cuts at the limit with finish `length`", async () => {
    const full = await chat(scripted("go", { tokens: 40 }));
    expect(full.pieces).toHaveLength(40);
    expect(full.finish).toBe("stop");
    const cut = await chat(scripted("go", { tokens: 40 }), { max_completion_tokens: 7 });
    expect(cut.pieces).toEqual(full.pieces.slice(0, 7));
    expect(cut.finish).toBe("length");
    expect(cut.usage?.completion_tokens).toBe(7);
    // Other models (as OpenRouter's and local servers') still take max_tokens.
    const older = await chat(scripted("go", { tokens: 40 }), {
      model: "gpt-4o-mini",
      max_tokens: 7,
    });
    expect(older.pieces).toEqual(full.pieces.slice(0, 7));
  });

  it("refuses max_tokens for a reasoning model, as OpenAI does", async () => {
    await expect(
      chatStream(scripted("go", { tokens: 3 }), { max_tokens: 7 }),
    ).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining("max_completion_tokens"),
    });
  });

  it("keeps multi-byte characters whole and counts their tokens", async () => {
    const reply = "naïve café 🦜 — 日本語のテキスト";
    const got = await chat(scripted("x", { reply }));
    expect(got.text).toBe(reply);
    expect(got.pieces.some((p) => p.includes("\uFFFD"))).toBe(false);
    expect(got.usage?.completion_tokens).toBe(countTokens(reply));
  });

  it("omits the usage chunk on `omit_usage` but still ends with [DONE]", async () => {
    const { raw } = await rawStream(
      OPENAI_PATH,
      scripted("x", { reply: "a b", omit_usage: true }),
      {
        stream_options: { include_usage: true },
      },
    );
    expect(raw).toContain('"finish_reason":"stop"');
    expect(raw).not.toMatch(/"usage":\{/);
    expect(raw.endsWith("data: [DONE]\n\n")).toBe(true);
  });

  it("is deterministic: the same request gets the same answer and usage", async () => {
    const ask = () =>
      openai().chat.completions.create({
        model: "m",
        tools: [PYTHON_RUN],
        messages: [{ role: "user", content: "list some primes" }],
      });
    const [a, b] = [await ask(), await ask()];
    const call = (r: typeof a) => {
      const first = r.choices[0]?.message.tool_calls?.[0];
      return first?.type === "function" ? first.function : undefined;
    };
    expect(call(a)?.name).toBe("python_run");
    expect(call(b)).toEqual(call(a));
    expect(b.choices[0]?.message.content).toBe(a.choices[0]?.message.content);
    expect(b.usage).toEqual(a.usage);
  });

  it("paces the stream with first_token_delay_ms and chunk_delay_ms", async () => {
    const started = Date.now();
    const directive = { tokens: 5, first_token_delay_ms: 150, chunk_delay_ms: 40 };
    const arrivals: number[] = [];
    for await (const chunk of await chatStream(scripted("x", directive)))
      if (chunk.choices[0]?.delta.content) arrivals.push(Date.now() - started);
    expect(arrivals).toHaveLength(5);
    expect(arrivals[0]).toBeGreaterThanOrEqual(140);
    expect((arrivals[4] ?? 0) - (arrivals[0] ?? 0)).toBeGreaterThanOrEqual(4 * 40 - 10);
  });

  it("lists its models and refuses a bad directive with a 400", async () => {
    const models = await openai().models.list();
    expect(models.data.map((m) => m.id)).toContain("scripted-demo");
    await expect(chatStream(scripted("x", { tokns: 5 }))).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/tokns/),
    });
  });
});

describe("Anthropic Messages", () => {
  const withCall = (code: string) =>
    scripted("Add it up", {
      reply: "Let me compute that.",
      tool_call: { name: "python_run", arguments: { code } },
    });

  it("streams text and tool_use blocks that the SDK assembles into a Message", async () => {
    const before = model.requests.length;
    const code = "total = sum(range(10))\nprint(total)";
    const stream = anthropic().messages.stream(
      claude(withCall(code), { system: "Be brief.", tools: [PYTHON_RUN_ANTHROPIC] }),
    );
    let deltas = 0;
    stream.on("streamEvent", (event) => {
      if (event.type === "content_block_delta") deltas += 1;
    });
    const message = await stream.finalMessage();
    expect(message.stop_reason).toBe("tool_use");
    expect(message.content).toEqual([
      { type: "text", text: "Let me compute that." },
      {
        type: "tool_use",
        id: expect.stringMatching(/^toolu_/),
        name: "python_run",
        input: { code },
      },
    ]);
    expect(message.usage.output_tokens).toBe(deltas);
    expect(message.usage.input_tokens).toBeGreaterThan(0);
    // Any key is accepted and recorded, in whichever header this SDK version sends it.
    const headers = model.requests[before]?.headers;
    expect(headers?.["x-api-key"] ?? headers?.authorization).toMatch(/sk-ant-test$/);
    expect(headers?.["anthropic-version"]).toBeTruthy();
  });

  it("answers stream:false with the same Message", async () => {
    const params = claude(withCall("print(1)"), { tools: [PYTHON_RUN_ANTHROPIC] });
    const whole = await anthropic().messages.create(params);
    const streamed = await anthropic().messages.stream(params).finalMessage();
    expect(whole.type).toBe("message");
    expect(whole.stop_reason).toBe("tool_use");
    expect(whole.usage).toEqual(streamed.usage);
    expect(whole.content.map((b) => (b.type === "tool_use" ? b.input : b.type))).toEqual([
      "text",
      { code: "print(1)" },
    ]);
  });

  it("stops at max_tokens with stop_reason `max_tokens`", async () => {
    const params = claude(scripted("x", { tokens: 50 }), { max_tokens: 5 });
    const message = await anthropic().messages.stream(params).finalMessage();
    expect(message.stop_reason).toBe("max_tokens");
    expect(message.usage.output_tokens).toBe(5);
  });
});

describe("failures on cue", () => {
  it("`fail` answers with that status in each protocol's error shape", async () => {
    const before = model.requests.length;
    const viaOpenAI = chatStream(scripted("x", { fail: 503 }));
    await expect(viaOpenAI).rejects.toBeInstanceOf(OpenAI.APIError);
    await expect(viaOpenAI).rejects.toMatchObject({
      status: 503,
      error: { message: expect.any(String), type: "server_error", code: null },
    });
    const viaAnthropic = anthropic().messages.create(claude(scripted("x", { fail: 429 })));
    await expect(viaAnthropic).rejects.toBeInstanceOf(Anthropic.RateLimitError);
    await expect(viaAnthropic).rejects.toMatchObject({
      status: 429,
      error: { type: "error", error: { type: "rate_limit_error", message: expect.any(String) } },
    });
    expect(model.requests.length - before).toBe(2);
  });

  it("`fail_after_tokens` sends an in-stream error after N pieces (OpenAI)", async () => {
    const content = scripted("x", { tokens: 20, fail_after_tokens: 4 });
    const pieces: string[] = [];
    const failure = await (async () => {
      for await (const chunk of await chatStream(content))
        pieces.push(chunk.choices[0]?.delta.content ?? "");
    })().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect(pieces.filter(Boolean)).toHaveLength(4);
    const { raw, error } = await rawStream(OPENAI_PATH, content);
    expect(error).toBeNull();
    expect(raw).toMatch(/\n\ndata: \{"error":\{"message":"[^"]+","type":"server_error"/);
    expect(raw).not.toContain("[DONE]");
  });

  it("`fail_after_tokens` sends `event: error` after N pieces (Anthropic)", async () => {
    const content = scripted("x", { tokens: 20, fail_after_tokens: 3 });
    const stream = anthropic().messages.stream(claude(content));
    const texts: string[] = [];
    stream.on("text", (t) => texts.push(t));
    stream.on("error", () => {});
    await expect(stream.finalMessage()).rejects.toBeInstanceOf(Anthropic.APIError);
    expect(texts).toHaveLength(3);
    const { raw } = await rawStream(ANTHROPIC_PATH, content);
    expect(raw).toMatch(/\n\nevent: error\ndata: \{"type":"error","error":\{"type":"api_error"/);
    expect(raw).not.toContain("message_stop");
  });

  it.each([OPENAI_PATH, ANTHROPIC_PATH])(
    "`cut_after_tokens` drops the connection after N pieces, with no terminator (%s)",
    async (path) => {
      const { res, raw, error } = await rawStream(
        path,
        scripted("x", { tokens: 20, cut_after_tokens: 6 }),
      );
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
      expect(res.headers.get("cache-control")).toBe("no-cache");
      expect(error).toBeInstanceOf(Error);
      expect(rawPieces(raw)).toBe(6);
      expect(raw).not.toMatch(/\[DONE\]|message_stop|finish_reason":"stop/);
    },
  );

  it.each([OPENAI_PATH, ANTHROPIC_PATH])(
    "`malformed_after_tokens` sends a non-JSON data line after N pieces and ends (%s)",
    async (path) => {
      const { raw, error } = await rawStream(
        path,
        scripted("x", { tokens: 20, malformed_after_tokens: 5 }),
      );
      expect(error).toBeNull();
      expect(rawPieces(raw)).toBe(5);
      const last = raw.trimEnd().split("\n").at(-1) ?? "";
      expect(last.startsWith("data: ")).toBe(true);
      expect(() => JSON.parse(last.slice(6))).toThrow();
    },
  );

  it("the OpenAI SDK rejects the malformed stream", async () => {
    const stream = await chatStream(scripted("x", { tokens: 9, malformed_after_tokens: 2 }));
    await expect(collect(stream)).rejects.toBeInstanceOf(SyntaxError);
  });

  it("`stall_after_tokens` goes quiet after N pieces until the client gives up (OpenAI)", async () => {
    const controller = new AbortController();
    const content = scripted("x", { tokens: 20, stall_after_tokens: 5 });
    const stream = await chatStream(content, {}, controller.signal);
    const pieces: string[] = [];
    let finish: string | null = null;
    const ended = await (async () => {
      for await (const chunk of stream) {
        const piece = chunk.choices[0]?.delta.content;
        finish = chunk.choices[0]?.finish_reason ?? finish;
        if (!piece) continue;
        pieces.push(piece);
        // Give a sixth piece time to show up before giving up.
        if (pieces.length === 5) setTimeout(() => controller.abort(), 300);
      }
      return "ended";
    })().catch((e: unknown) => e);
    expect(controller.signal.aborted).toBe(true);
    expect(ended === "ended" || ended instanceof OpenAI.APIUserAbortError).toBe(true);
    expect(pieces).toHaveLength(5);
    expect(finish).toBeNull();
  });

  it("`stall_after_tokens` goes quiet after N pieces until the client gives up (Anthropic)", async () => {
    const content = scripted("x", { tokens: 20, stall_after_tokens: 3 });
    const stream = anthropic().messages.stream(claude(content));
    const texts: string[] = [];
    stream.on("text", (t) => {
      texts.push(t);
      if (texts.length === 3) setTimeout(() => stream.abort(), 300);
    });
    stream.on("error", () => {});
    await expect(stream.finalMessage()).rejects.toBeInstanceOf(Anthropic.APIUserAbortError);
    expect(texts).toHaveLength(3);
  });

  it("stop() closes stalled connections at once", async () => {
    const own = await startScriptedModel();
    const res = await fetch(`${own.url}${OPENAI_PATH}`, {
      method: "POST",
      body: JSON.stringify({
        stream: true,
        model: "m",
        messages: [{ role: "user", content: scripted("x", { tokens: 9, stall_after_tokens: 2 }) }],
      }),
    });
    const reader = res.body?.getReader();
    if (!reader) throw new Error("no body");
    await reader.read();
    const started = Date.now();
    await own.stop();
    expect(Date.now() - started).toBeLessThan(1000);
    const drained = (async () => {
      for (;;) if ((await reader.read()).done) return "done";
    })().catch(() => "errored");
    const outcome = await Promise.race([drained, sleep(1000).then(() => "still open")]);
    expect(outcome).not.toBe("still open");
  });
});

const dataDirs: string[] = [];
afterAll(() => {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs a demo program with the machine's python3: a temporary directory stands in for /data and
 * `display` (the browser's helper) only records what it was given.
 */
function runDemoProgram(code: string) {
  const dir = mkdtempSync(join(tmpdir(), "demo-data-"));
  dataDirs.push(dir);
  const program = [
    "import json as _json",
    "_shown = []",
    "def display(value, mime=None):",
    "    _shown.append(value)",
    code.replaceAll("/data", dir),
    "print(_json.dumps(_shown))",
  ].join("\n");
  const run = spawnSync("python3", ["-c", program], { encoding: "utf8" });
  if (run.status !== 0)
    throw new Error(`python3 failed (${run.status}): ${run.error ?? run.stderr}`);
  const lines = run.stdout.replaceAll(dir, "/data").trimEnd().split("\n");
  const shown = JSON.parse(lines.pop() ?? "[]") as unknown[];
  return { dir, stdout: lines.join("\n"), shown };
}

const demoCode = (request: string) =>
  demoTurn({ userText: request, toolOutput: null, toolFailed: false, toolNames: ["python_run"] })
    .calls[0]?.arguments.code ?? "";

describe("the demo, without a directive", () => {
  // The first four are the example prompts the browser's empty screen offers, word for word.
  it.each([
    [
      "Plot a sine wave",
      /\nimport matplotlib\.pyplot as plt\n[\s\S]*savefig\("\/data\/sine.png"\)[\s\S]*\nplt\.show\(\)$/,
      null,
    ],
    ["List the primes below 100", /def primes_below/, "25 primes below 100"],
    [
      "Save a multiplication table to /data and show it",
      /^import csv$[\s\S]*display\(path\)/m,
      "Saved /data/times-table.csv",
    ],
    [
      "Draw a colour gradient as a PNG",
      /^import struct\nimport zlib$[\s\S]*display\("\/data\/gradient.png"\)/m,
      "Saved /data/gradient.png: 256×128 pixels",
    ],
    ["Show me the fibonacci sequence", /def fibonacci/, "First 20 Fibonacci numbers"],
    [
      "Tell me about my data",
      /open\("\/data\/request.txt", "w"\)/,
      "Saved it to /data/request.txt",
    ],
  ])("answers %j with a sentence and a python_run call", async (request, pattern, prints) => {
    const got = await chat(request, { tools: [PYTHON_RUN] });
    expect(got.text).toMatch(/^Here is a short Python program that .+\.$/);
    expect(got.finish).toBe("tool_calls");
    expect(got.calls.get(0)?.name).toBe("python_run");
    const args: unknown = JSON.parse(got.calls.get(0)?.args ?? "null");
    expect(args).toEqual({ code: expect.stringMatching(pattern) });
    const code = (args as { code: string }).code;
    expect(code).toMatch(/print\(/);
    // Every program is valid Python; all but the plot (matplotlib comes from Pyodide's CDN) run.
    const parse = "import ast, sys; ast.parse(sys.stdin.read())";
    expect(spawnSync("python3", ["-c", parse], { input: code }).status).toBe(0);
    if (prints) expect(runDemoProgram(code).stdout).toContain(prints);
  });

  it("writes the multiplication table as CSV to /data and displays it", () => {
    const { dir, shown } = runDemoProgram(
      demoCode("Save a multiplication table to /data and show it"),
    );
    expect(shown).toEqual(["/data/times-table.csv"]);
    const rows = readFileSync(join(dir, "times-table.csv"), "utf8").trimEnd().split("\r\n");
    const range = Array.from({ length: 10 }, (_, i) => i + 1);
    expect(rows).toHaveLength(11);
    expect(rows[0]).toBe(["n", ...range.map((m) => `×${m}`)].join(","));
    expect(rows[7]).toBe([7, ...range.map((m) => 7 * m)].join(","));
  });

  it("writes a 256×128 RGB gradient PNG to /data with only the standard library and displays it", () => {
    const { dir, shown, stdout } = runDemoProgram(demoCode("Draw a colour gradient as a PNG"));
    expect(shown).toEqual(["/data/gradient.png"]);
    const png = readFileSync(join(dir, "gradient.png"));
    expect(stdout).toContain(`${png.length} bytes`);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    // IHDR (width, height, bit depth 8, colour type 2: RGB), then one IDAT of 128 filtered rows.
    expect(png.toString("latin1", 12, 16)).toBe("IHDR");
    expect([png.readUInt32BE(16), png.readUInt32BE(20), png[24], png[25]]).toEqual([
      256, 128, 8, 2,
    ]);
    expect(png.toString("latin1", 37, 41)).toBe("IDAT");
    const pixels = inflateSync(png.subarray(41, 41 + png.readUInt32BE(33)));
    expect(pixels.length).toBe(128 * (1 + 256 * 3));
    expect([...pixels.subarray(1, 4)]).not.toEqual([...pixels.subarray(-3)]);
  });

  it("comments on an OpenAI tool result by quoting its first line, finishing with `stop`", async () => {
    const call = { id: "call_1", type: "function" as const };
    const got = await chat(
      [
        { role: "user", content: "Which numbers below 100 are prime?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ ...call, function: { name: "python_run", arguments: "{}" } }],
        },
        { role: "tool", tool_call_id: "call_1", content: "\n25 primes below 100: [2, 3]\nbye" },
      ],
      { tools: [PYTHON_RUN] },
    );
    expect(got.text).toContain('"25 primes below 100: [2, 3]"');
    expect(got.finish).toBe("stop");
    expect(got.calls.size).toBe(0);
  });

  it("comments on an Anthropic tool_result the same way, with stop_reason `end_turn`", async () => {
    const stream = anthropic().messages.stream(
      claude(
        [
          { role: "user", content: "list the primes" },
          {
            role: "assistant",
            content: [{ type: "tool_use", id: "toolu_1", name: "python_run", input: {} }],
          },
          {
            role: "user",
            content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "25 primes\n[2]" }],
          },
        ],
        { tools: [PYTHON_RUN_ANTHROPIC] },
      ),
    );
    const message = await stream.finalMessage();
    expect(message.stop_reason).toBe("end_turn");
    expect(message.content).toEqual([
      { type: "text", text: expect.stringContaining('"25 primes"') },
    ]);
  });

  it("without tools, shows the program as text instead of calling a tool", async () => {
    const got = await chat("primes please");
    expect(got.text).toMatch(/```python\n[\s\S]*primes_below[\s\S]*```/);
    expect(got.finish).toBe("stop");
    expect(got.calls.size).toBe(0);
  });
});
