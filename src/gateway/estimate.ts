// Token estimate for the reservation: the prompt counted with gpt-tokenizer, plus the
// completion budget. Anthropic tokenises differently, so its prompt count gets a safety margin.
import { LRUCache } from "lru-cache";
import type { ProviderName } from "./models";
import { type ChatMessage, type ToolDefinition, textOf } from "./request-schema";
import { type TokenCounter, tokenCounter } from "./tokenizer";

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

/** The count of `text`, from the cache when it is long and was counted before. */
function countText(count: TokenCounter, text: string): number {
  if (text.length < CACHED_FROM_CHARS) return count(text);
  let n = counts.get(text);
  if (n === undefined) {
    n = count(text);
    counts.set(text, n);
  }
  return n;
}

/** The prompt's tokens; the first call in an isolate loads the tokenizer. */
export async function estimatePromptTokens(
  messages: ChatMessage[],
  tools: ToolDefinition[] | undefined,
  provider: ProviderName,
): Promise<number> {
  const count = await tokenCounter();
  let total = 3;
  for (const m of messages) {
    total += PER_MESSAGE + countText(count, textOf(m.content));
    if (m.role === "assistant" && m.tool_calls) {
      for (const call of m.tool_calls) total += countText(count, call.function.arguments) + 8;
    }
  }
  if (tools?.length) total += countText(count, JSON.stringify(tools));
  return provider === "anthropic" ? Math.ceil(total * ANTHROPIC_MARGIN) : total;
}
