// OpenAI and any OpenAI-compatible server (OpenRouter, local servers, the scripted model): the
// request goes through nearly unchanged, asking for usage in the stream, and SSE chunks are
// parsed into events.
import { createParser } from "eventsource-parser";
import type { ProviderEndpoint } from "../../config";
import { type FinishReason, UpstreamError, type UpstreamEvent } from "../events";
import type { Provider, UpstreamRequest } from "./types";

interface OpenAIChunk {
  choices?: {
    delta?: {
      content?: string | null;
      tool_calls?: {
        index: number;
        id?: string;
        function?: { name?: string; arguments?: string };
      }[];
    };
    finish_reason?: FinishReason | null;
  }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  error?: { message?: string };
}

export async function upstreamErrorFrom(res: Response): Promise<UpstreamError> {
  const text = await res.text().catch(() => "");
  let message = text.slice(0, 300);
  try {
    const body = JSON.parse(text) as { error?: { message?: string } | string };
    message = typeof body.error === "string" ? body.error : (body.error?.message ?? message);
  } catch {}
  return new UpstreamError("http", `upstream answered ${res.status}: ${message}`, res.status);
}

function* eventsOf(chunk: OpenAIChunk): Generator<UpstreamEvent> {
  for (const choice of chunk.choices ?? []) {
    const delta = choice.delta;
    if (delta?.content) yield { kind: "text", text: delta.content };
    for (const call of delta?.tool_calls ?? []) {
      yield {
        kind: "tool",
        index: call.index,
        id: call.id,
        name: call.function?.name,
        arguments: call.function?.arguments,
      };
    }
    if (choice.finish_reason) yield { kind: "finish", reason: choice.finish_reason };
  }
  if (chunk.usage) {
    yield {
      kind: "usage",
      promptTokens: chunk.usage.prompt_tokens ?? 0,
      completionTokens: chunk.usage.completion_tokens ?? 0,
    };
  }
}

/**
 * The data of each SSE event. A reader loop over one parser rather than two TransformStreams:
 * every chunk of every stream passes here, and each stream stage costs a round of promises.
 */
async function* eventData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const ready: string[] = [];
  const parser = createParser({ onEvent: (event) => ready.push(event.data) });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      parser.feed(done ? decoder.decode() : decoder.decode(value, { stream: true }));
      yield* ready.splice(0);
      if (done) return;
    }
  } finally {
    // A consumer that stops early stops the upstream too.
    reader.cancel().catch(() => {});
  }
}

async function* parse(body: ReadableStream<Uint8Array>): AsyncGenerator<UpstreamEvent> {
  let finished = false;
  try {
    for await (const data of eventData(body)) {
      if (data === "[DONE]") return;
      let chunk: OpenAIChunk;
      try {
        chunk = JSON.parse(data) as OpenAIChunk;
      } catch {
        throw new UpstreamError("malformed", "upstream sent a malformed event");
      }
      if (chunk.error) {
        throw new UpstreamError("stream_error", chunk.error.message ?? "upstream stream error");
      }
      for (const e of eventsOf(chunk)) {
        if (e.kind === "finish") finished = true;
        yield e;
      }
    }
  } catch (error) {
    if (error instanceof UpstreamError) throw error;
    throw new UpstreamError("connection", `upstream connection lost: ${(error as Error).message}`);
  }
  // A stream that just stops, with no finish and no [DONE], was cut.
  if (!finished) throw new UpstreamError("connection", "upstream stream ended early");
}

export function openAICompatible(endpoint: ProviderEndpoint): Provider {
  return {
    async open(request: UpstreamRequest, signal: AbortSignal) {
      const res = await fetch(`${endpoint.baseUrl}/chat/completions`, {
        method: "POST",
        signal,
        headers: {
          authorization: `Bearer ${endpoint.apiKey}`,
          "content-type": "application/json",
          accept: "text/event-stream",
        },
        body: JSON.stringify({
          model: request.model,
          messages: request.messages,
          tools: request.tools,
          tool_choice: request.toolChoice,
          max_tokens: request.maxTokens,
          temperature: request.temperature,
          top_p: request.topP,
          stop: request.stop,
          stream: true,
          stream_options: { include_usage: true },
        }),
      }).catch((error: Error) => {
        throw new UpstreamError("connection", `upstream unreachable: ${error.message}`);
      });
      if (!res.ok || !res.body) throw await upstreamErrorFrom(res);
      return parse(res.body);
    },
  };
}
