// The OpenAI chat-completions wire format for the scripted model: `chat.completion.chunk` SSE
// frames (tool calls streamed by index, optional usage chunk, [DONE]) or one `chat.completion`.
import { promptTokens, RequestError } from "./scenario.mjs";
import { sse } from "./sse.mjs";

/** @typedef {import("./scenario.mjs").Scene} Scene */
/** @typedef {import("./scenario.mjs").Turn} Turn */

/** @param {unknown} content */
const textOf = (content) =>
  typeof content === "string"
    ? content
    : Array.isArray(content)
      ? content.map((p) => (typeof p?.text === "string" ? p.text : "")).join("")
      : "";

const REASONING_MODEL = /^(gpt-5|o\d)/;

/**
 * @param {Record<string, any>} body
 * @returns {{ turn: Turn, prompt: number }}
 */
export function openAITurn(body) {
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0)
    throw new RequestError(400, "messages: must be a non-empty array");
  // As OpenAI's reasoning models do: they refuse the older limit parameter.
  if (body.max_tokens !== undefined && REASONING_MODEL.test(String(body.model)))
    throw new RequestError(
      400,
      "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
    );
  const last = messages.at(-1);
  const tools = Array.isArray(body.tools) ? body.tools : [];
  const offered = body.tool_choice === "none" ? [] : tools;
  return {
    turn: {
      userText: last?.role === "user" ? textOf(last.content) : "",
      toolOutput: last?.role === "tool" ? textOf(last.content) : null,
      toolFailed: false,
      toolNames: offered.map((t) => t?.function?.name).filter((n) => typeof n === "string"),
      maxTokens: body.max_completion_tokens ?? body.max_tokens ?? Number.POSITIVE_INFINITY,
    },
    prompt: promptTokens(
      messages.map((m) => textOf(m?.content)),
      messages
        .flatMap((m) => (Array.isArray(m?.tool_calls) ? m.tool_calls : []))
        .map((c) => String(c?.function?.arguments ?? "")),
      body.tools,
    ),
  };
}

/** @type {Record<number, [string, string | null]>} */
const ERROR_KINDS = {
  400: ["invalid_request_error", null],
  401: ["invalid_request_error", "invalid_api_key"],
  403: ["invalid_request_error", "unsupported_country_region_territory"],
  404: ["invalid_request_error", "model_not_found"],
  429: ["requests", "rate_limit_exceeded"],
};

/** @param {number} status @param {string} message */
export function openAIError(status, message) {
  const [type, code] = ERROR_KINDS[status] ?? [
    status >= 500 ? "server_error" : "invalid_request_error",
    null,
  ];
  return { error: { message, type, param: null, code } };
}

/** @param {number} seq @param {number} index */
const callId = (seq, index) => `call_scripted${seq}x${index}`;

/** Every SSE frame of the answer; the server paces them and interrupts them on cue. */
export function openAIStream(body, scene, prompt, seq) {
  const withUsage = body.stream_options?.include_usage === true;
  const base = {
    id: `chatcmpl-scripted${seq}`,
    object: "chat.completion.chunk",
    created: Math.floor(Date.now() / 1000),
    model: body.model ?? "scripted-demo",
  };
  const frame = (delta, finish = null) =>
    sse({
      ...base,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      // With include_usage every chunk says usage: null until the last, as OpenAI does.
      ...(withUsage && { usage: null }),
    });
  const pieces = scene.pieces.map((p) => {
    if (p.kind === "text") return frame({ content: p.text });
    const fragment = frame({ tool_calls: [{ index: p.call, function: { arguments: p.text } }] });
    if (!p.first) return fragment;
    // The call opens with its id and name and empty arguments, then the fragments follow.
    const opening = frame({
      tool_calls: [
        {
          index: p.call,
          id: callId(seq, p.call),
          type: "function",
          function: { name: scene.callNames[p.call], arguments: "" },
        },
      ],
    });
    return opening + fragment;
  });
  let tail = frame({}, scene.finish);
  if (withUsage && !scene.directive.omit_usage) {
    const usage = {
      prompt_tokens: prompt,
      completion_tokens: scene.completionTokens,
      total_tokens: prompt + scene.completionTokens,
    };
    tail += sse({ ...base, choices: [], usage });
  }
  return {
    head: frame({ role: "assistant", content: "", refusal: null }),
    pieces,
    tail: tail + sse("[DONE]"),
    error: sse(openAIError(500, "The scripted model failed mid-stream.")),
    malformed: sse(`{"id": "${base.id}", "choices": [{"delta": {"content": not json`),
    // OpenAI sends nothing while a model pauses.
    keepAlive: "",
  };
}

/** One chat.completion holding the whole answer. */
export function openAICompletion(body, scene, prompt, seq) {
  const content = scene.pieces
    .filter((p) => p.kind === "text")
    .map((p) => p.text)
    .join("");
  const calls = [];
  for (const p of scene.pieces) {
    if (p.kind !== "tool") continue;
    calls[p.call] ??= {
      id: callId(seq, p.call),
      type: "function",
      function: { name: scene.callNames[p.call], arguments: "" },
    };
    calls[p.call].function.arguments += p.text;
  }
  return {
    id: `chatcmpl-scripted${seq}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: body.model ?? "scripted-demo",
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: content || null,
          refusal: null,
          ...(calls.length && { tool_calls: calls }),
        },
        logprobs: null,
        finish_reason: scene.finish,
      },
    ],
    usage: {
      prompt_tokens: prompt,
      completion_tokens: scene.completionTokens,
      total_tokens: prompt + scene.completionTokens,
    },
  };
}
