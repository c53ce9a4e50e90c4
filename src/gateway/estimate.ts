// Token estimate for the reservation: the prompt counted with gpt-tokenizer, plus the
// completion budget. Anthropic tokenises differently, so its prompt count gets a safety margin.
import { countTokens } from "gpt-tokenizer";
import type { ProviderName } from "./models";
import { type ChatMessage, type ToolDefinition, textOf } from "./request-schema";

// User text is data: "<|endoftext|>" in a message is counted, not refused as a special token.
export const AS_TEXT = { disallowedSpecial: new Set<string>() };
// Per-message framing tokens in the chat format.
const PER_MESSAGE = 4;
const ANTHROPIC_MARGIN = 1.2;

export function estimatePromptTokens(
  messages: ChatMessage[],
  tools: ToolDefinition[] | undefined,
  provider: ProviderName,
): number {
  let total = 3;
  for (const m of messages) {
    total += PER_MESSAGE + countTokens(textOf(m.content), AS_TEXT);
    if (m.role === "assistant" && m.tool_calls) {
      for (const call of m.tool_calls) total += countTokens(call.function.arguments, AS_TEXT) + 8;
    }
  }
  if (tools?.length) total += countTokens(JSON.stringify(tools), AS_TEXT);
  return provider === "anthropic" ? Math.ceil(total * ANTHROPIC_MARGIN) : total;
}
