// The Anthropic Messages wire format for the scripted model: the real event sequence
// (message_start, content blocks, message_delta, message_stop, pings) or one Message.
import { promptTokens, RequestError } from "./scenario.mjs";
import { sse } from "./sse.mjs";

/** @typedef {import("./scenario.mjs").Scene} Scene */
/** @typedef {import("./scenario.mjs").Turn} Turn */

const STOP_REASONS = { stop: "end_turn", length: "max_tokens", tool_calls: "tool_use" };
// Real streams send a ping now and then; clients must skip them.
const PING_EVERY = 40;

/** @param {unknown} content */
function textOf(content) {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((b) => (b?.type === "text" ? b.text : b?.type === "tool_result" ? textOf(b.content) : ""))
    .join("");
}

/** @param {unknown} content @returns {any[]} */
const blocksOf = (content) => (Array.isArray(content) ? content : []);

/** Input tokens of a Messages request (also the answer of /v1/messages/count_tokens). */
export function anthropicPromptTokens(body) {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  return promptTokens(
    [textOf(body.system), ...messages.map((m) => textOf(m?.content))],
    messages
      .flatMap((m) => blocksOf(m?.content))
      .filter((b) => b?.type === "tool_use")
      .map((b) => JSON.stringify(b.input ?? {})),
    body.tools,
  );
}

/**
 * @param {Record<string, any>} body
 * @returns {{ turn: Turn, prompt: number }}
 */
export function anthropicTurn(body) {
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0)
    throw new RequestError(400, "messages: at least one message is required");
  if (!Number.isInteger(body.max_tokens) || body.max_tokens < 1)
    throw new RequestError(400, "max_tokens: Field required");
  const last = messages.at(-1);
  const fromUser = last?.role === "user";
  const blocks = fromUser ? blocksOf(last.content) : [];
  const results = blocks.filter((b) => b?.type === "tool_result");
  const offered = body.tool_choice?.type === "none" || !Array.isArray(body.tools) ? [] : body.tools;
  return {
    turn: {
      userText: !fromUser
        ? ""
        : typeof last.content === "string"
          ? last.content
          : textOf(blocks.filter((b) => b?.type === "text")),
      toolOutput: results.length ? results.map((b) => textOf(b.content)).join("\n") : null,
      toolFailed: results.some((b) => b.is_error === true),
      toolNames: offered.map((t) => t?.name).filter((n) => typeof n === "string"),
      maxTokens: body.max_tokens,
    },
    prompt: anthropicPromptTokens(body),
  };
}

/** @type {Record<number, string>} */
const ERROR_TYPES = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  529: "overloaded_error",
};

/** @param {number} status @param {string} message */
export function anthropicError(status, message) {
  const type = ERROR_TYPES[status] ?? (status >= 500 ? "api_error" : "invalid_request_error");
  return { type: "error", error: { type, message } };
}

/** @param {number} seq @param {number} index */
const toolId = (seq, index) => `toolu_scripted${seq}x${index}`;

/** Every SSE frame of the answer; the server paces them and interrupts them on cue. */
export function anthropicStream(body, scene, prompt, seq) {
  const head =
    sse(
      {
        type: "message_start",
        message: {
          id: `msg_scripted${seq}`,
          type: "message",
          role: "assistant",
          model: body.model ?? "scripted-demo",
          content: [],
          stop_reason: null,
          stop_sequence: null,
          // The real API reports one output token here; message_delta has the true count.
          usage: { input_tokens: prompt, output_tokens: 1 },
        },
      },
      "message_start",
    ) + sse({ type: "ping" }, "ping");
  let index = -1;
  let open = "";
  const stop = () => sse({ type: "content_block_stop", index }, "content_block_stop");
  const pieces = scene.pieces.map((p, i) => {
    let frames = "";
    const key = p.kind === "text" ? "text" : `tool${p.call}`;
    if (key !== open) {
      if (open) frames += stop();
      index += 1;
      open = key;
      const content_block =
        p.kind === "text"
          ? { type: "text", text: "" }
          : { type: "tool_use", id: toolId(seq, p.call), name: scene.callNames[p.call], input: {} };
      frames += sse({ type: "content_block_start", index, content_block }, "content_block_start");
    }
    const delta =
      p.kind === "text"
        ? { type: "text_delta", text: p.text }
        : // An empty input streams as one empty fragment, as Anthropic's does.
          { type: "input_json_delta", partial_json: p.first && p.text === "{}" ? "" : p.text };
    frames += sse({ type: "content_block_delta", index, delta }, "content_block_delta");
    if ((i + 1) % PING_EVERY === 0) frames += sse({ type: "ping" }, "ping");
    return frames;
  });
  const tail =
    (open ? stop() : "") +
    sse(
      {
        type: "message_delta",
        delta: { stop_reason: STOP_REASONS[scene.finish], stop_sequence: null },
        usage: { output_tokens: scene.completionTokens },
      },
      "message_delta",
    ) +
    sse({ type: "message_stop" }, "message_stop");
  return {
    head,
    pieces,
    tail,
    error: sse(anthropicError(500, "The scripted model failed mid-stream."), "error"),
    malformed: sse(`{"type": "content_block_delta", "delta": not json`, "content_block_delta"),
    // What Anthropic sends while the model works on something it does not stream piece by
    // piece (a tool input's value, say).
    keepAlive: sse({ type: "ping" }, "ping"),
  };
}

/** @param {string} json */
function parseInput(json) {
  try {
    return JSON.parse(json || "{}");
  } catch {
    // Arguments cut short by max_tokens (or scripted as non-JSON) are not an object.
    return {};
  }
}

/** One Message holding the whole answer. */
export function anthropicMessage(body, scene, prompt, seq) {
  const content = [];
  const json = [];
  for (const p of scene.pieces) {
    const last = content.at(-1);
    if (p.kind === "text") {
      if (last?.type === "text") last.text += p.text;
      else content.push({ type: "text", text: p.text });
      continue;
    }
    if (p.first) {
      content.push({ type: "tool_use", id: toolId(seq, p.call), name: scene.callNames[p.call] });
      json.push("");
    }
    json[json.length - 1] += p.text;
  }
  let call = 0;
  for (const block of content)
    if (block.type === "tool_use") block.input = parseInput(json[call++]);
  return {
    id: `msg_scripted${seq}`,
    type: "message",
    role: "assistant",
    model: body.model ?? "scripted-demo",
    content,
    stop_reason: STOP_REASONS[scene.finish],
    stop_sequence: null,
    usage: { input_tokens: prompt, output_tokens: scene.completionTokens },
  };
}
