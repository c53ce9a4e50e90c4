// Token estimate for the reservation: the prompt counted with gpt-tokenizer, plus the
// completion budget. Anthropic tokenises differently, so its prompt count gets a safety margin.
import { countTokens } from "gpt-tokenizer";
import { LRUCache } from "lru-cache";
import type { ProviderName } from "./models";
import { type ChatMessage, type ToolDefinition, textOf } from "./request-schema";

// User text is data: "<|endoftext|>" in a message is counted, not refused as a special token.
export const AS_TEXT = { disallowedSpecial: new Set<string>() };
// Per-message framing tokens in the chat format.
const PER_MESSAGE = 4;
const ANTHROPIC_MARGIN = 1.2;

// Counting is linear in the text (about 0.15 ms a KB) and runs before the first token, and a
// chat resends its whole history every turn: long texts' counts are kept, keyed by the text
// itself, so a turn counts only what is new to this isolate. No TTL, so no timers.
const CACHED_FROM_CHARS = 1_000;
const counts = new LRUCache<string, number>({
  maxSize: 8_000_000,
  sizeCalculation: (_count, text) => text.length,
});

/** gpt-tokenizer's count of `text` as plain text. */
function countText(text: string): number {
  if (text.length < CACHED_FROM_CHARS) return countTokens(text, AS_TEXT);
  let count = counts.get(text);
  if (count === undefined) {
    count = countTokens(text, AS_TEXT);
    counts.set(text, count);
  }
  return count;
}

export function estimatePromptTokens(
  messages: ChatMessage[],
  tools: ToolDefinition[] | undefined,
  provider: ProviderName,
): number {
  let total = 3;
  for (const m of messages) {
    total += PER_MESSAGE + countText(textOf(m.content));
    if (m.role === "assistant" && m.tool_calls) {
      for (const call of m.tool_calls) total += countText(call.function.arguments) + 8;
    }
  }
  if (tools?.length) total += countText(JSON.stringify(tools));
  return provider === "anthropic" ? Math.ceil(total * ANTHROPIC_MARGIN) : total;
}
