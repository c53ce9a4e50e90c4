// What the scripted model says: the `@scripted {json}` directive in the final message, or the
// demo, as one-token pieces so the usage it reports is exactly what it streamed.
import { countTokens, decode, encode } from "gpt-tokenizer";
import { demoTurn } from "./demo.mjs";

/**
 * The protocol-neutral view of a request that the openai/anthropic modules extract.
 * @typedef {object} Turn
 * @property {string} userText Text of the final message when a person wrote it, else "".
 * @property {string | null} toolOutput The tool result the final message carries, if any.
 * @property {boolean} toolFailed The tool result is flagged as an error (Anthropic is_error).
 * @property {string[]} toolNames Tools offered, or none when tool_choice is "none".
 * @property {number} maxTokens
 */

/**
 * One streamed delta. `tokens` is 1 except where a token ends mid-character: it is joined with
 * the next so that no delta carries half a character.
 * @typedef {{ kind: "text", text: string, tokens: number }
 *   | { kind: "tool", call: number, text: string, tokens: number, first: boolean }} Piece
 */

/**
 * @typedef {object} Scene
 * @property {Piece[]} pieces
 * @property {string[]} callNames Names of the tool calls, by call index.
 * @property {"stop" | "length" | "tool_calls"} finish
 * @property {number} completionTokens Tokens in `pieces`: what usage reports.
 * @property {Directive} directive
 * @property {boolean} demo The demo answered (no directive).
 */

/**
 * @typedef {object} Directive
 * @property {string} [reply]
 * @property {number} [tokens]
 * @property {ToolCall | ToolCall[]} [tool_call]
 * @property {number} [first_token_delay_ms]
 * @property {number} [chunk_delay_ms]
 * @property {number} [fail]
 * @property {number} [fail_after_tokens]
 * @property {number} [cut_after_tokens]
 * @property {number} [stall_after_tokens]
 * @property {number} [pause_after_tokens]
 * @property {number} [pause_ms]
 * @property {number} [malformed_after_tokens]
 * @property {boolean} [omit_usage]
 * @property {number} [extra_prompt_tokens] Reported on top of the prompt's own count.
 */

/** @typedef {{ name: string, arguments?: unknown }} ToolCall */

// "<|endoftext|>" in a prompt is text to count, not a reason for encode() to throw.
const PLAIN = { disallowedSpecial: new Set() };

/** A request the scripted model refuses (a bad directive or body): answered with this status. */
export class RequestError extends Error {
  /** @param {number} status @param {string} message */
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

const isCount = (v) => Number.isInteger(v) && v >= 0;
const isCall = (v) => v !== null && typeof v === "object" && typeof v.name === "string";
// Unknown keys are refused rather than ignored: a typo would otherwise quietly run the demo.
const DIRECTIVE_KEYS = {
  reply: (v) => typeof v === "string",
  tokens: isCount,
  tool_call: (v) => (Array.isArray(v) ? v.every(isCall) : isCall(v)),
  first_token_delay_ms: isCount,
  chunk_delay_ms: isCount,
  fail: (v) => Number.isInteger(v) && v >= 400 && v <= 599,
  fail_after_tokens: isCount,
  cut_after_tokens: isCount,
  stall_after_tokens: isCount,
  pause_after_tokens: isCount,
  pause_ms: isCount,
  malformed_after_tokens: isCount,
  omit_usage: (v) => typeof v === "boolean",
  extra_prompt_tokens: isCount,
};

/**
 * The directive on a line starting `@scripted ` in `text`, or null when there is none.
 * @param {string} text
 * @returns {Directive | null}
 */
export function parseDirective(text) {
  if (!text.includes("@scripted")) return null;
  const line = text
    .split("\n")
    .map((l) => l.trim())
    .find((l) => l.startsWith("@scripted ") || l === "@scripted");
  if (line === undefined) return null;
  const json = line.slice("@scripted".length).trim();
  let value;
  try {
    value = JSON.parse(json);
  } catch {
    throw new RequestError(400, `@scripted directive is not JSON: ${json.slice(0, 200)}`);
  }
  if (!value || typeof value !== "object" || Array.isArray(value))
    throw new RequestError(400, "@scripted directive must be a JSON object");
  for (const [key, v] of Object.entries(value)) {
    const valid = DIRECTIVE_KEYS[key];
    if (!valid) throw new RequestError(400, `@scripted: unknown key "${key}"`);
    if (!valid(v)) throw new RequestError(400, `@scripted: invalid value for "${key}"`);
  }
  return value;
}

/**
 * Splits text into one-token pieces. gpt-tokenizer's decode shares one streaming TextDecoder:
 * a token that ends mid-character decodes to "" and its bytes come out with the next token, so
 * tokens are decoded strictly in order, all of them, and an empty result joins the next piece.
 * @param {string} text
 * @returns {{ text: string, tokens: number }[]}
 */
export function tokenPieces(text) {
  const pieces = [];
  let pending = 0;
  for (const token of encode(text, PLAIN)) {
    pending += 1;
    const part = decode([token]);
    if (part === "") continue;
    pieces.push({ text: part, tokens: pending });
    pending = 0;
  }
  const last = pieces.at(-1);
  if (pending && last) last.tokens += pending;
  return pieces;
}

// Whole ASCII words, so each filler token is a piece of its own: `tokens: N` streams N pieces.
const FILLER = tokenPieces(
  "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. ",
).map((p) => p.text);

/** @param {number} n */
function fillerPieces(n) {
  return Array.from({ length: n }, (_, i) => ({
    text: FILLER[i % FILLER.length] ?? "",
    tokens: 1,
  }));
}

/** @param {ToolCall} call */
function argumentsText(call) {
  // A string is sent as is, so a test can hand the client arguments that are not JSON.
  const text =
    typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments ?? {});
  // A call needs at least one fragment: its id and name ride on the first.
  return text || "{}";
}

/**
 * What to say for this turn: the final message's directive, else the demo.
 * @param {Turn} turn
 * @returns {Scene}
 */
export function plan(turn) {
  const directive =
    parseDirective(turn.userText) ??
    (turn.toolOutput !== null ? parseDirective(turn.toolOutput) : null);
  /** @type {{ text: string, tokens: number }[]} */
  let text;
  /** @type {ToolCall[]} */
  let calls;
  if (directive) {
    text =
      directive.reply !== undefined
        ? tokenPieces(directive.reply)
        : fillerPieces(directive.tokens ?? 0);
    const wanted = directive.tool_call ?? [];
    calls = Array.isArray(wanted) ? wanted : [wanted];
  } else {
    const demo = demoTurn(turn);
    text = tokenPieces(demo.reply);
    calls = demo.calls;
  }
  // A model never calls a tool it was not offered.
  if (!turn.toolNames.length) calls = [];

  /** @type {Piece[]} */
  const all = text.map((p) => ({ kind: "text", ...p }));
  calls.forEach((call, index) => {
    tokenPieces(argumentsText(call)).forEach((p, i) => {
      all.push({ kind: "tool", call: index, first: i === 0, ...p });
    });
  });

  const pieces = [];
  let completionTokens = 0;
  for (const piece of all) {
    if (completionTokens + piece.tokens > turn.maxTokens) break;
    pieces.push(piece);
    completionTokens += piece.tokens;
  }
  const truncated = pieces.length < all.length;
  return {
    pieces,
    callNames: calls.map((c) => c.name),
    finish: truncated ? "length" : calls.length ? "tool_calls" : "stop",
    completionTokens,
    directive: directive ?? {},
    demo: directive === null,
  };
}

/**
 * Prompt tokens, counted the way the gateway estimates them (src/gateway/estimate.ts): 3, plus
 * 4 and the text per message, plus each earlier tool call's arguments and 8, plus the tools.
 * @param {string[]} texts
 * @param {string[]} callArguments
 * @param {unknown} tools
 */
export function promptTokens(texts, callArguments, tools) {
  let total = 3;
  for (const text of texts) total += 4 + countTokens(text, PLAIN);
  for (const args of callArguments) total += 8 + countTokens(args, PLAIN);
  if (Array.isArray(tools) && tools.length) total += countTokens(JSON.stringify(tools), PLAIN);
  return total;
}
