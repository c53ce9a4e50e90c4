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

export const MessageSchema = z
  .discriminatedUnion("role", [
    z.object({ role: z.enum(["system", "developer"]), content: Text }),
    z.object({ role: z.literal("user"), content: Text }),
    z.object({
      role: z.literal("assistant"),
      content: Text.nullable().optional(),
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
    }),
  })
  .openapi("Tool");

export const ChatRequestSchema = z
  .object({
    model: z.string().min(1).max(200),
    messages: z.array(MessageSchema).min(1).max(1_000),
    tools: z.array(ToolSchema).max(64).optional(),
    tool_choice: z
      .union([
        z.enum(["auto", "none", "required"]),
        z.object({ type: z.literal("function"), function: z.object({ name: z.string() }) }),
      ])
      .optional(),
    max_tokens: z.number().int().positive().optional(),
    max_completion_tokens: z.number().int().positive().optional(),
    stream: z.boolean().optional(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).optional(),
    temperature: z.number().min(0).max(2).optional(),
    top_p: z.number().min(0).max(1).optional(),
    stop: z.union([z.string(), z.array(z.string()).max(4)]).optional(),
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
    session_id: z.string().uuid().optional(),
  })
  .openapi("ChatCompletionRequest");

export type ChatRequest = z.infer<typeof ChatRequestSchema>;
export type ChatMessage = z.infer<typeof MessageSchema>;
export type ToolDefinition = z.infer<typeof ToolSchema>;

export function textOf(content: ChatMessage["content"] | null | undefined): string {
  if (content == null) return "";
  return typeof content === "string" ? content : content.map((p) => p.text).join("");
}
