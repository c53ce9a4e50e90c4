// Builds what the caller receives from normalised upstream events: OpenAI chat.completion.chunk
// objects as they arrive (tool-call ids minted here, so they are unique and are the ids the
// database and the browser use), and the whole chat.completion for non-streaming callers.
import type { FinishReason, UpstreamEvent } from "./events";
import { tokenCounter } from "./tokenizer";

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface BuiltToolCall {
  id: string;
  index: number;
  name: string;
  arguments: string;
}

export interface ChatCompletionChunk {
  id: string;
  object: "chat.completion.chunk";
  created: number;
  model: string;
  choices: {
    index: 0;
    delta: {
      role?: "assistant";
      content?: string;
      tool_calls?: {
        index: number;
        id?: string;
        type?: "function";
        function: { name?: string; arguments?: string };
      }[];
    };
    finish_reason: FinishReason | null;
  }[];
  usage?: Usage;
}

export const mintToolCallId = () => `call_${crypto.randomUUID().replaceAll("-", "")}`;

export class CompletionBuilder {
  content = "";
  readonly toolCalls: BuiltToolCall[] = [];
  finishReason: FinishReason | null = null;
  upstreamUsage: { promptTokens: number; completionTokens: number } | null = null;
  /** Text and tool fragments passed on; a running stand-in for tokens while streaming. */
  pieces = 0;
  private readonly created = Math.floor(Date.now() / 1000);
  private sentRole = false;

  constructor(
    readonly id: string,
    readonly model: string,
  ) {}

  /** Applies one event; returns the chunk to send, if the event produces one. */
  apply(event: UpstreamEvent): ChatCompletionChunk | null {
    switch (event.kind) {
      case "usage":
        this.upstreamUsage = {
          promptTokens: event.promptTokens,
          completionTokens: event.completionTokens,
        };
        return null;
      case "finish":
        this.finishReason = event.reason;
        return this.chunk({}, event.reason);
      case "text":
        this.content += event.text;
        this.pieces += 1;
        return this.chunk({ content: event.text });
      case "tool": {
        let call = this.toolCalls.find((c) => c.index === event.index);
        const first = !call;
        if (!call) {
          call = {
            id: mintToolCallId(),
            index: event.index,
            name: event.name ?? "",
            arguments: "",
          };
          this.toolCalls.push(call);
        } else if (event.name) call.name += event.name;
        call.arguments += event.arguments ?? "";
        if (event.arguments) this.pieces += 1;
        const fn = first
          ? { name: call.name, arguments: event.arguments ?? "" }
          : { arguments: event.arguments ?? "" };
        return this.chunk({
          tool_calls: [
            { index: event.index, ...(first && { id: call.id, type: "function" }), function: fn },
          ],
        });
      }
    }
  }

  private chunk(
    delta: ChatCompletionChunk["choices"][0]["delta"],
    finish: FinishReason | null = null,
  ): ChatCompletionChunk {
    if (!this.sentRole) {
      this.sentRole = true;
      delta = { role: "assistant", ...delta };
    }
    return {
      id: this.id,
      object: "chat.completion.chunk",
      created: this.created,
      model: this.model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    };
  }

  get hasOutput(): boolean {
    return this.content.length > 0 || this.toolCalls.length > 0;
  }

  /**
   * Usage: what upstream reported, else counted from what was actually streamed (which loads
   * the tokenizer, if this isolate has not yet; should that fail, about a token a piece).
   */
  async usage(promptEstimate: number): Promise<Usage> {
    const prompt = this.upstreamUsage?.promptTokens ?? promptEstimate;
    const completion =
      this.upstreamUsage?.completionTokens ?? (await this.countStreamed().catch(() => this.pieces));
    return {
      prompt_tokens: prompt,
      completion_tokens: completion,
      total_tokens: prompt + completion,
    };
  }

  private async countStreamed(): Promise<number> {
    // Read now: what streamed is final once usage is asked for.
    const texts = [this.content, ...this.toolCalls.map((c) => c.arguments)];
    const count = await tokenCounter();
    return texts.reduce((n, text) => n + count(text), 0);
  }

  usageChunk(usage: Usage): ChatCompletionChunk {
    return { ...this.chunk({}), choices: [], usage };
  }

  completion(usage: Usage) {
    return {
      id: this.id,
      object: "chat.completion" as const,
      created: this.created,
      model: this.model,
      choices: [
        {
          index: 0,
          message: {
            role: "assistant" as const,
            content: this.content || null,
            ...(this.toolCalls.length && {
              tool_calls: this.toolCalls.map((c) => ({
                id: c.id,
                type: "function" as const,
                function: { name: c.name, arguments: c.arguments },
              })),
            }),
          },
          finish_reason: this.finishReason ?? "stop",
        },
      ],
      usage,
    };
  }
}
