// The OpenAI chat-completions request the gateway accepts (the subset it can meter and forward
// to every provider), validated before anything is reserved.
import { z } from "@hono/zod-openapi";

const TextPart = z.object({ type: z.literal("text"), text: z.string() });
const Text = z.union([z.string(), z.array(TextPart).min(1)]);

const ToolCall = z.object({
  id: z.string().min(1).max(200),
  type: z.literal("function"),
  function: z.object({ name: z.string().min(1).max(64), arguments: z.string() }),
});

/** A participant's name, passed on to OpenAI-compatible providers (Anthropic has none). */
const Name = z.string().min(1).max(64).optional();

export const MessageSchema = z
  .discriminatedUnion("role", [
    z.object({ role: z.enum(["system", "developer"]), content: Text, name: Name }),
    z.object({ role: z.literal("user"), content: Text, name: Name }),
    z.object({
      role: z.literal("assistant"),
      content: Text.nullable().optional(),
      name: Name,
      tool_calls: z.array(ToolCall).max(64).optional(),
    }),
    z.object({ role: z.literal("tool"), tool_call_id: z.string().min(1).max(200), content: Text }),
  ])
  .openapi("ChatMessage");

export const ToolSchema = z
  .object({
    type: z.literal("function"),
    function: z.object({
      name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, "tool names are 1-64 of [a-zA-Z0-9_-]"),
      description: z.string().max(4_000).optional(),
      // JSON Schema for the arguments: must be an object.
      parameters: z.record(z.string(), z.unknown()).optional(),
      /** Arguments guaranteed to follow `parameters` (both providers support it). */
      strict: z.boolean().nullish(),
    }),
  })
  .openapi("Tool");

// Every optional parameter may also be null, which OpenAI reads as absent (SDKs and wrappers
// send it for a parameter left unset).
export const ChatRequestSchema = z
  .object({
    model: z.string().min(1).max(200),
    messages: z.array(MessageSchema).min(1).max(1_000),
    tools: z.array(ToolSchema).max(64).nullish(),
    tool_choice: z
      .union([
        z.enum(["auto", "none", "required"]),
        z.object({ type: z.literal("function"), function: z.object({ name: z.string() }) }),
      ])
      .nullish(),
    parallel_tool_calls: z.boolean().nullish(),
    max_tokens: z.number().int().positive().nullish(),
    max_completion_tokens: z.number().int().positive().nullish(),
    stream: z.boolean().nullish(),
    stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
    temperature: z.number().min(0).max(2).nullish(),
    top_p: z.number().min(0).max(1).nullish(),
    stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
    seed: z.number().int().nullish(),
    /** OpenAI's reasoning models; Anthropic's models here run without extended thinking. */
    reasoning_effort: z.enum(["none", "minimal", "low", "medium", "high", "xhigh"]).nullish(),
    /** OpenAI-compatible providers only: Anthropic has no penalties. */
    frequency_penalty: z.number().min(-2).max(2).nullish(),
    presence_penalty: z.number().min(-2).max(2).nullish(),
    // Accepted only at values that change nothing: the gateway cannot honour the others, and a
    // refusal beats an answer other than the one asked for. Other unknown fields are ignored.
    n: z.literal(1, { error: "n must be 1: one choice per request" }).nullish(),
    logprobs: z.literal(false, { error: "logprobs are not available here" }).nullish(),
    response_format: z
      .object({
        type: z.literal("text", { error: "only the text response_format is available here" }),
      })
      .nullish(),
    /** Gradual's extension: the conversation this turn belongs to (created when absent). */
    session_id: z.string().uuid().nullish(),
  })
  .openapi("ChatCompletionRequest");

export type ChatRequest = z.infer<typeof ChatRequestSchema>;
export type ChatMessage = z.infer<typeof MessageSchema>;
export type ToolDefinition = z.infer<typeof ToolSchema>;

// In a module of its own, which the lazily loaded Anthropic provider can import without zod.
export { textOf } from "./text";
