// Folds streamed chat.completion.chunks into one assistant message, the way the openai SDK's
// ChatCompletionStream does: text appended, tool-call fragments joined by their index (the id
// and name come with a call's first fragment, its arguments in pieces).
import type { Chunk } from "../api/inference";

export interface ProposedCall {
  index: number;
  id: string;
  name: string;
  arguments: string;
}

export interface Accumulated {
  content: string;
  calls: ProposedCall[];
  finishReason: string | null;
  usage: Chunk["usage"] | null;
}

export const emptyMessage = (): Accumulated => ({
  content: "",
  calls: [],
  finishReason: null,
  usage: null,
});

/** Returns a new message with `chunk` applied; `message` is left as it was. */
export function accumulate(message: Accumulated, chunk: Chunk): Accumulated {
  let { content, calls, finishReason } = message;
  for (const choice of chunk.choices) {
    if (choice.index !== 0) continue;
    const delta = choice.delta;
    if (delta.content) content += delta.content;
    for (const fragment of delta.tool_calls ?? []) {
      const at = calls.findIndex((c) => c.index === fragment.index);
      const known = calls[at];
      const merged: ProposedCall = {
        index: fragment.index,
        id: fragment.id ?? known?.id ?? "",
        name: known?.name || fragment.function?.name || "",
        arguments: (known?.arguments ?? "") + (fragment.function?.arguments ?? ""),
      };
      calls =
        at < 0
          ? [...calls, merged].sort((a, b) => a.index - b.index)
          : calls.map((c, i) => (i === at ? merged : c));
    }
    if (choice.finish_reason) finishReason = choice.finish_reason;
  }
  return { content, calls, finishReason, usage: chunk.usage ?? message.usage };
}

/** The `code` argument of a python_run call, or null while (or if) it is not valid JSON. */
export function codeOf(argumentsText: string): string | null {
  try {
    const parsed: unknown = JSON.parse(argumentsText);
    const code = (parsed as { code?: unknown } | null)?.code;
    return typeof code === "string" ? code : null;
  } catch {
    return null;
  }
}

/**
 * The code shown while a call's arguments are still streaming: the JSON string read as far as
 * it has come, so the cell fills in as the model writes it.
 */
export function partialCode(argumentsText: string): string {
  const whole = codeOf(argumentsText);
  if (whole !== null) return whole;
  const start = /"code"\s*:\s*"/.exec(argumentsText);
  if (!start) return "";
  const text = argumentsText.slice(start.index + start[0].length);
  // Up to the closing quote, leaving out an escape that has not fully arrived.
  let raw = "";
  for (let i = 0; i < text.length; ) {
    const ch = text[i];
    if (ch === '"') break;
    if (ch === "\\") {
      const width = text[i + 1] === "u" ? 6 : 2;
      if (i + width > text.length) break;
      raw += text.slice(i, i + width);
      i += width;
    } else {
      raw += ch;
      i += 1;
    }
  }
  // Half of a surrogate pair would show as a replacement character until its other half comes.
  // (An escape only when an odd number of backslashes leads to it.)
  raw = raw.replace(/((?:^|[^\\])(?:\\\\)*)\\u[dD][89abAB][0-9a-fA-F]{2}$/, "$1");
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return "";
  }
}
