// What every provider's stream is normalised to before it is metered and written out as
// OpenAI chunks: text, tool-call fragments (index-stable), the finish reason, and usage.
export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter";

export type UpstreamEvent =
  | { kind: "text"; text: string }
  | { kind: "tool"; index: number; id?: string; name?: string; arguments?: string }
  | { kind: "finish"; reason: FinishReason }
  | { kind: "usage"; promptTokens: number; completionTokens: number };

/** An upstream failure, classified so the caller gets the right status and the log a reason. */
export class UpstreamError extends Error {
  constructor(
    readonly reason: "http" | "timeout" | "malformed" | "connection" | "stream_error",
    message: string,
    readonly status = 502,
  ) {
    super(message);
    this.name = "UpstreamError";
  }
}
