// Anthropic through its official SDK: the OpenAI-shaped request is translated (system prompt
// pulled out, tool calls and results as content blocks, tools as input schemas) and the event
// stream is turned back into OpenAI-style events with index-stable tool calls.
import Anthropic from "@anthropic-ai/sdk";
import type { ProviderEndpoint } from "../../config";
import { type FinishReason, UpstreamError, type UpstreamEvent } from "../events";
import type { ChatMessage } from "../request-schema";
import { textOf } from "../text";
import type { Provider, UpstreamRequest } from "./types";

type Block = Anthropic.ContentBlockParam;
type Turn = { role: "user" | "assistant"; content: Block[] };

const STOP_REASONS: Record<string, FinishReason> = {
  end_turn: "stop",
  stop_sequence: "stop",
  pause_turn: "stop",
  max_tokens: "length",
  model_context_window_exceeded: "length",
  tool_use: "tool_calls",
  refusal: "content_filter",
};

function parseArguments(raw: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(raw || "{}");
    return value && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : { value };
  } catch {
    return { arguments: raw };
  }
}

function blocksOf(message: ChatMessage): Block[] {
  switch (message.role) {
    case "assistant": {
      const text = textOf(message.content);
      const blocks: Block[] = text ? [{ type: "text", text }] : [];
      for (const call of message.tool_calls ?? []) {
        blocks.push({
          type: "tool_use",
          id: call.id,
          name: call.function.name,
          input: parseArguments(call.function.arguments),
        });
      }
      return blocks;
    }
    case "tool":
      return [
        {
          type: "tool_result",
          tool_use_id: message.tool_call_id,
          content: textOf(message.content),
        },
      ];
    default:
      return [{ type: "text", text: textOf(message.content) }];
  }
}

/** Anthropic wants alternating user/assistant turns and the system prompt on its own. */
export function toAnthropicMessages(messages: ChatMessage[]) {
  const system: string[] = [];
  const turns: Turn[] = [];
  for (const message of messages) {
    if (message.role === "system" || message.role === "developer") {
      system.push(textOf(message.content));
      continue;
    }
    const role = message.role === "assistant" ? "assistant" : "user";
    const blocks = blocksOf(message).filter((b) => b.type !== "text" || b.text !== "");
    const last = turns.at(-1);
    if (last?.role === role) last.content.push(...blocks);
    else turns.push({ role, content: blocks });
  }
  return { system: system.join("\n\n") || undefined, messages: turns };
}

function toolChoice(
  choice: UpstreamRequest["toolChoice"],
  parallel: boolean | undefined,
): Anthropic.ToolChoice | undefined {
  if (choice === "none") return { type: "none" };
  // OpenAI's parallel_tool_calls: false is Anthropic's disable_parallel_tool_use.
  const single = parallel === false ? { disable_parallel_tool_use: true } : {};
  if (choice === "required") return { type: "any", ...single };
  if (choice && choice !== "auto") return { type: "tool", name: choice.function.name, ...single };
  if (choice === "auto" || parallel === false) return { type: "auto", ...single };
  return undefined;
}

function classify(error: unknown): UpstreamError {
  if (error instanceof UpstreamError) return error;
  if (error instanceof Anthropic.APIError && typeof error.status === "number") {
    return new UpstreamError(
      "http",
      `upstream answered ${error.status}: ${error.message}`,
      error.status,
    );
  }
  if (
    error instanceof SyntaxError ||
    (error instanceof Anthropic.APIError && /JSON|parse/i.test(error.message))
  ) {
    return new UpstreamError("malformed", "upstream sent a malformed event");
  }
  return new UpstreamError("connection", `upstream connection lost: ${(error as Error).message}`);
}

async function* translate(
  stream: AsyncIterable<Anthropic.RawMessageStreamEvent>,
): AsyncGenerator<UpstreamEvent> {
  const toolIndexByBlock = new Map<number, number>();
  /** Tool blocks whose input has had no fragment yet. */
  const withoutInput = new Set<number>();
  let promptTokens = 0;
  let completionTokens = 0;
  let finished = false;
  try {
    for await (const event of stream) {
      switch (event.type) {
        case "message_start":
          promptTokens = event.message.usage.input_tokens;
          break;
        case "content_block_start":
          if (event.content_block.type === "tool_use") {
            const index = toolIndexByBlock.size;
            toolIndexByBlock.set(event.index, index);
            withoutInput.add(event.index);
            yield {
              kind: "tool",
              index,
              id: event.content_block.id,
              name: event.content_block.name,
              arguments: "",
            };
          } else if (event.content_block.type === "text" && event.content_block.text) {
            yield { kind: "text", text: event.content_block.text };
          }
          break;
        case "content_block_delta":
          if (event.delta.type === "text_delta") yield { kind: "text", text: event.delta.text };
          else if (event.delta.type === "input_json_delta") {
            const index = toolIndexByBlock.get(event.index);
            if (index !== undefined && event.delta.partial_json) {
              withoutInput.delete(event.index);
              yield { kind: "tool", index, arguments: event.delta.partial_json };
            }
          }
          break;
        case "content_block_stop": {
          // A tool without input streams none; OpenAI's callers expect "{}" to parse.
          const index = toolIndexByBlock.get(event.index);
          if (index !== undefined && withoutInput.delete(event.index))
            yield { kind: "tool", index, arguments: "{}" };
          break;
        }
        case "message_delta":
          completionTokens = event.usage.output_tokens;
          if (event.delta.stop_reason) {
            finished = true;
            yield { kind: "finish", reason: STOP_REASONS[event.delta.stop_reason] ?? "stop" };
          }
          break;
        case "message_stop":
          yield { kind: "usage", promptTokens, completionTokens };
          return;
      }
    }
  } catch (error) {
    throw classify(error);
  }
  if (!finished) throw new UpstreamError("connection", "upstream stream ended early");
}

/**
 * fetch whose response body reports each chunk as it passes: the SDK drops the pings Anthropic
 * sends while the model works on a part it does not stream (a tool input's value), and those
 * pings are all that shows the stream is alive.
 */
function reporting(heard: () => void): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, init);
    if (!res.body) return res;
    const body = res.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          heard();
          controller.enqueue(chunk);
        },
      }),
    );
    return new Response(body, res);
  };
}

export function anthropic(endpoint: ProviderEndpoint): Provider {
  return {
    async open(request: UpstreamRequest, signal: AbortSignal, heard: () => void) {
      // Retries would double-bill and hide failures the gateway must settle itself.
      const client = new Anthropic({
        apiKey: endpoint.apiKey,
        baseURL: endpoint.baseUrl,
        maxRetries: 0,
        fetch: reporting(heard),
      });
      const { system, messages } = toAnthropicMessages(request.messages);
      try {
        const stream = await client.messages.create(
          {
            model: request.model,
            max_tokens: request.maxTokens,
            system,
            messages,
            tools: request.tools?.map((t) => ({
              name: t.function.name,
              description: t.function.description,
              input_schema: { type: "object", ...(t.function.parameters ?? {}) },
              strict: t.function.strict ?? undefined,
            })),
            tool_choice: toolChoice(request.toolChoice, request.parallelToolCalls),
            stop_sequences: request.stop,
            // The Messages API no longer takes temperature/top_p; they are not forwarded.
            stream: true,
          },
          { signal },
        );
        return translate(stream);
      } catch (error) {
        throw classify(error);
      }
    },
  };
}
