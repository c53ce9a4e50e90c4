// POST /api/inference with stream: true, read as the SDKs read it: SSE frames of
// chat.completion.chunk, ending with [DONE], or with an error frame when the stream fails midway.
import { createParser } from "eventsource-parser";
import { ApiError, errorFrom, offline, send } from "./http";

export interface ChunkDelta {
  content?: string | null;
  tool_calls?: {
    index: number;
    id?: string;
    type?: "function";
    function?: { name?: string; arguments?: string };
  }[];
}

export interface Chunk {
  choices: { index: number; delta: ChunkDelta; finish_reason: string | null }[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
}

export type StreamEvent = { kind: "chunk"; chunk: Chunk } | { kind: "error"; error: ApiError };

export interface Stream {
  /** The conversation the turn belongs to (new sessions are named by the server). */
  sessionId: string | null;
  /** The stream's id at the account's agent, which other tabs follow it by (and can stop). */
  streamId: string | null;
  events: AsyncGenerator<StreamEvent>;
}

export async function streamInference(body: unknown, signal: AbortSignal): Promise<Stream> {
  const res = await send("/api/inference", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal,
  });
  if (!res.ok || !res.body) throw await errorFrom(res);
  return {
    sessionId: res.headers.get("x-session-id"),
    streamId: res.headers.get("x-stream-id"),
    events: read(res.body),
  };
}

export async function* read(body: ReadableStream<Uint8Array>): AsyncGenerator<StreamEvent> {
  const queue: StreamEvent[] = [];
  // [DONE], or an error frame: either way the server said how the answer ended.
  let ended = false;
  const parser = createParser({
    onEvent(message) {
      if (ended) return;
      if (message.data === "[DONE]") {
        ended = true;
        return;
      }
      const value = JSON.parse(message.data) as Chunk & {
        error?: { code?: string; message?: string };
      };
      if (value.error) {
        ended = true;
        const { code = "stream_error", message: text = "The stream failed" } = value.error;
        queue.push({ kind: "error", error: new ApiError(200, code, text) });
      } else {
        queue.push({ kind: "chunk", chunk: value });
      }
    },
  });
  const reader = body.getReader();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await reader.read();
      } catch (error) {
        if ((error as Error).name === "AbortError") throw error;
        // The connection dropped mid-answer.
        yield { kind: "error", error: offline(error) };
        return;
      }
      if (next.done) break;
      parser.feed(decoder.decode(next.value, { stream: true }));
      while (queue.length) yield queue.shift() as StreamEvent;
    }
    if (!ended) {
      yield { kind: "error", error: new ApiError(200, "cut", "The answer stopped before its end") };
    }
  } finally {
    reader.releaseLock();
  }
}
