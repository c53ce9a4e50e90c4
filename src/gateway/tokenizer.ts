// gpt-tokenizer's o200k encoding, loaded on first use: its BPE table is most of the Worker's
// bundle and ~25 ms of CPU to build, and only inference counts tokens (the estimate, and usage
// a provider did not report). Loaded once per isolate; after that a count is a plain call.
type Encoding = typeof import("gpt-tokenizer/encoding/o200k_base");

/** Counts `text` as plain text. */
export type TokenCounter = (text: string) => number;

// User text is data: "<|endoftext|>" in a message is counted, not refused as a special token.
const AS_TEXT = { disallowedSpecial: new Set<string>() };

let loading: Promise<TokenCounter> | undefined;

function counterOf({ countTokens }: Encoding): TokenCounter {
  return (text) => countTokens(text, AS_TEXT);
}

/**
 * The counter, loading the tokenizer on the first call (later calls get the same settled
 * promise). Starting it early lets the table build while the request waits on I/O.
 */
export function tokenCounter(): Promise<TokenCounter> {
  loading ??= import("gpt-tokenizer/encoding/o200k_base").then(counterOf, (error: unknown) => {
    // A failed load is not cached: the next request tries again.
    loading = undefined;
    throw error;
  });
  return loading;
}

/** gpt-tokenizer's count of `text` as plain text. */
export async function countTokens(text: string): Promise<number> {
  return (await tokenCounter())(text);
}
