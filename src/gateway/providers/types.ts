// The one interface every provider implements: open a streaming completion, yield events.
import type { UpstreamEvent } from "../events";
import type { ChatMessage, ChatRequest, ToolDefinition } from "../request-schema";

/** What goes upstream; absent parameters are left to the provider's defaults. */
export interface UpstreamRequest {
  model: string;
  messages: ChatMessage[];
  tools?: ToolDefinition[];
  toolChoice?: NonNullable<ChatRequest["tool_choice"]>;
  parallelToolCalls?: boolean;
  maxTokens: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  seed?: number;
  reasoningEffort?: NonNullable<ChatRequest["reasoning_effort"]>;
  frequencyPenalty?: number;
  presencePenalty?: number;
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
