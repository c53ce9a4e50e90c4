// A message's content as plain text (a string, or text parts joined). Apart from the request
// schema so that code loaded on demand (the Anthropic provider) does not pull zod into its
// import graph, which the bundler would then wrap for lazy evaluation.
import type { ChatMessage } from "./request-schema";

export function textOf(content: ChatMessage["content"] | null | undefined): string {
  if (content == null) return "";
  return typeof content === "string" ? content : content.map((p) => p.text).join("");
}
