// The one interface every provider implements: open a streaming completion, yield events.
import type { UpstreamEvent } from "../events";
import type { ChatMessage, ChatRequest, ToolDefinition } from "../request-schema";

export interface UpstreamRequest {
  model: string;
  messages: ChatMessage[];
  tools?: ToolDefinition[];
  toolChoice?: ChatRequest["tool_choice"];
  maxTokens: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
}

export interface Provider {
  /**
   * Sends the request; resolves once the upstream accepted it (HTTP status known), rejects with
   * an UpstreamError otherwise. The iterable ends after the last event or throws UpstreamError.
   * `heard` is called whenever bytes of the stream arrive, whether or not they make an event.
   */
  open(
    request: UpstreamRequest,
    signal: AbortSignal,
    heard: () => void,
  ): Promise<AsyncIterable<UpstreamEvent>>;
}
