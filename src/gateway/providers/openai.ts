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

function eventsOf(chunk: OpenAIChunk): UpstreamEvent[] {
  const events: UpstreamEvent[] = [];
  for (const choice of chunk.choices ?? []) {
    const delta = choice.delta;
    if (delta?.content) events.push({ kind: "text", text: delta.content });
    for (const call of delta?.tool_calls ?? []) {
      events.push({
        kind: "tool",
        index: call.index,
        id: call.id,
        name: call.function?.name,
        arguments: call.function?.arguments,
      });
    }
    if (choice.finish_reason) events.push({ kind: "finish", reason: choice.finish_reason });
  }
  if (chunk.usage) {
    events.push({
      kind: "usage",
      promptTokens: chunk.usage.prompt_tokens ?? 0,
      completionTokens: chunk.usage.completion_tokens ?? 0,
    });
  }
  return events;
}

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * The events of one OpenAI-style SSE body: a plain pull loop over one parser rather than
 * generators or stream stages, because every chunk of every stream passes here and each layer
 * costs a round of promises per chunk.
 */
class OpenAIEvents implements AsyncIterableIterator<UpstreamEvent> {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private readonly data: string[] = [];
  private readonly parser = createParser({ onEvent: (event) => this.data.push(event.data) });
  private readonly events: UpstreamEvent[] = [];
  /** "done" after [DONE]; "eof" when the body ended without it. */
  private end: "done" | "eof" | null = null;
  private finished = false;

  constructor(
    body: ReadableStream<Uint8Array>,
    private readonly heard: () => void,
  ) {
    this.reader = body.getReader();
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  async next(): Promise<IteratorResult<UpstreamEvent>> {
    for (;;) {
      const event = this.events.shift();
      if (event) return { done: false, value: event };
      if (this.end === "done") return DONE;
      const data = this.data.shift();
      if (data !== undefined) {
        this.accept(data);
        continue;
      }
      if (this.end === "eof") {
        // A stream that just stops, with no finish and no [DONE], was cut.
        if (!this.finished) throw new UpstreamError("connection", "upstream stream ended early");
        return DONE;
      }
      await this.pull();
    }
  }

  /** A consumer that stops early stops the upstream too. */
  async return(): Promise<IteratorResult<UpstreamEvent>> {
    this.end = "done";
    await this.reader.cancel().catch(() => {});
    return DONE;
  }

  private async pull() {
    let read: ReadableStreamReadResult<Uint8Array>;
    try {
      read = await this.reader.read();
    } catch (error) {
      throw new UpstreamError(
        "connection",
        `upstream connection lost: ${(error as Error).message}`,
      );
    }
    if (read.done) {
      this.parser.feed(this.decoder.decode());
      this.end = "eof";
    } else {
      this.heard();
      this.parser.feed(this.decoder.decode(read.value, { stream: true }));
    }
  }

  private accept(data: string) {
    if (data === "[DONE]") {
      this.end = "done";
      this.reader.cancel().catch(() => {});
      return;
    }
    let chunk: OpenAIChunk;
    try {
      chunk = JSON.parse(data) as OpenAIChunk;
    } catch {
      throw new UpstreamError("malformed", "upstream sent a malformed event");
    }
    if (chunk.error) {
      throw new UpstreamError("stream_error", chunk.error.message ?? "upstream stream error");
    }
    for (const event of eventsOf(chunk)) {
      if (event.kind === "finish") this.finished = true;
      this.events.push(event);
    }
  }
}

/** The name the upstream knows the output limit by. */
export type LimitParameter = "max_tokens" | "max_completion_tokens";

export function openAICompatible(
  endpoint: ProviderEndpoint,
  limitParameter: LimitParameter = "max_tokens",
): Provider {
  return {
    async open(request: UpstreamRequest, signal: AbortSignal, heard: () => void) {
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
          parallel_tool_calls: request.parallelToolCalls,
          [limitParameter]: request.maxTokens,
          temperature: request.temperature,
          top_p: request.topP,
          stop: request.stop,
          seed: request.seed,
          reasoning_effort: request.reasoningEffort,
          frequency_penalty: request.frequencyPenalty,
          presence_penalty: request.presencePenalty,
          stream: true,
          stream_options: { include_usage: true },
        }),
      }).catch((error: Error) => {
        throw new UpstreamError("connection", `upstream unreachable: ${error.message}`);
      });
      if (!res.ok || !res.body) throw await upstreamErrorFrom(res);
      return new OpenAIEvents(res.body, heard);
    },
  };
}
