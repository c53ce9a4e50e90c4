// The official openai SDK as a programmatic client: with a virtual key it streams through the
// gateway and gets usage, and Anthropic's text and tool use arrive as chunks it parses, with the
// tool-call arguments intact.
import { exports } from "cloudflare:workers";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { ORIGIN } from "./helpers";
import { account, reserveDirectly, scripted } from "./inference-helpers";

async function sdkClient() {
  const { browser, accountId } = await account();
  const { key } = await (
    await browser.fetch("/api/keys", { method: "POST", json: { label: "sdk" } })
  ).json<{
    key: string;
  }>();
  const client = new OpenAI({
    apiKey: key,
    baseURL: `${ORIGIN}/v1`,
    maxRetries: 0,
    fetch: (url, init) => exports.default.fetch(new Request(url, init)),
  });
  return { client, accountId };
}

describe("the official openai SDK", () => {
  it("streams a completion with a virtual key and receives usage", async () => {
    const { client } = await sdkClient();
    const stream = await client.chat.completions.create({
      model: "gpt-5-mini",
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 50,
      messages: [
        { role: "user", content: scripted("hello", { reply: "Hello from the gateway." }) },
      ],
    });
    let text = "";
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe("Hello from the gateway.");
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    expect(usage?.total_tokens).toBe((usage?.prompt_tokens ?? 0) + (usage?.completion_tokens ?? 0));
  });

  it('parses Anthropic text and tool use translated to chunks, arguments intact ("{}" when none)', async () => {
    const { client } = await sdkClient();
    const code = 'print("héllo, wörld")\nfor i in range(3):\n    print(i)';
    const runner = client.chat.completions.stream({
      model: "claude-haiku-4-5",
      max_tokens: 300,
      stream_options: { include_usage: true },
      tools: [
        {
          type: "function",
          function: {
            name: "python_run",
            parameters: {
              type: "object",
              properties: { code: { type: "string" } },
              required: ["code"],
            },
          },
        },
        { type: "function", function: { name: "list_files", parameters: { type: "object" } } },
      ],
      messages: [
        {
          role: "user",
          content: scripted("run something", {
            reply: "Running it now.",
            tool_call: [{ name: "python_run", arguments: { code } }, { name: "list_files" }],
          }),
        },
      ],
    });
    const completion = await runner.finalChatCompletion();
    const choice = completion.choices[0];
    expect(choice?.message.content).toBe("Running it now.");
    expect(choice?.finish_reason).toBe("tool_calls");
    const call = choice?.message.tool_calls?.[0];
    expect(call?.type).toBe("function");
    if (call?.type !== "function") throw new Error("no function call");
    expect(call.function.name).toBe("python_run");
    expect(JSON.parse(call.function.arguments)).toEqual({ code });
    expect(call.id).toMatch(/^call_[0-9a-f]{32}$/);
    // A tool without input: Anthropic streams no fragment, OpenAI's callers parse "{}".
    const bare = choice?.message.tool_calls?.[1];
    if (bare?.type !== "function") throw new Error("no second call");
    expect(bare.function).toEqual({ name: "list_files", arguments: "{}" });
    expect(completion.usage?.completion_tokens).toBeGreaterThan(0);
  });

  it("sees quota and auth errors as the SDK's own error classes", async () => {
    const { client, accountId } = await sdkClient();
    await reserveDirectly(accountId, 5_000);
    const exhausted = client.chat.completions.create({
      model: "gpt-5-mini",
      max_tokens: 50,
      messages: [{ role: "user", content: "x" }],
    });
    await expect(exhausted).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    await expect(exhausted).rejects.toMatchObject({ code: "quota_exceeded" });

    await expect(
      client.chat.completions.create({
        model: "no-such-model",
        messages: [{ role: "user", content: "x" }],
      }),
    ).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    const stranger = new OpenAI({
      apiKey: `gr_${"x".repeat(43)}`,
      baseURL: `${ORIGIN}/v1`,
      maxRetries: 0,
      fetch: (url, init) => exports.default.fetch(new Request(url, init)),
    });
    await expect(stranger.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });
});
