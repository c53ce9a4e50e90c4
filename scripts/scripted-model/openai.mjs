// The OpenAI chat-completions wire format for the scripted model: SSE chunks with an optional
// usage chunk and [DONE], or one chat.completion.
import { promptTokens } from "./scenario.mjs";

const text = (content) =>
  typeof content === "string"
    ? content
    : Array.isArray(content)
      ? content.map((p) => p?.text ?? "").join("")
      : "";

export function openAITurn(body) {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const last = messages.at(-1);
  const lastUser = [...messages].reverse().find((m) => m.role === "user");
  return {
    turn: {
      lastRole: last?.role === "tool" ? "tool" : "user",
      userText: text(lastUser?.content),
      toolOutput: last?.role === "tool" ? text(last.content) : "",
      hasTools: Array.isArray(body.tools) && body.tools.length > 0,
      maxTokens: body.max_completion_tokens ?? body.max_tokens ?? 4096,
    },
    prompt: promptTokens(messages.map((m) => text(m.content))),
  };
}

export function openAIError(status, message) {
  return {
    error: {
      message,
      type: status >= 500 ? "server_error" : "invalid_request_error",
      code: "scripted",
    },
  };
}

function chunkOf(model, delta, finish = null) {
  return {
    id: "chatcmpl-scripted",
    object: "chat.completion.chunk",
    created: 0,
    model,
    choices: [{ index: 0, delta, finish_reason: finish }],
  };
}

/** Encodes each step of the plan as one SSE frame; the server paces and interrupts them. */
export function openAIStream(body, scene, prompt) {
  const model = body.model;
  const frames = [chunkOf(model, { role: "assistant", content: "" })];
  const pieceFrames = scene.pieces.map((p) =>
    p.kind === "text"
      ? chunkOf(model, { content: p.text })
      : chunkOf(model, {
          tool_calls: [
            p.first
              ? {
                  index: p.index,
                  id: p.id,
                  type: "function",
                  function: { name: p.name, arguments: p.args },
                }
              : { index: p.index, function: { arguments: p.args } },
          ],
        }),
  );
  const usage = {
    prompt_tokens: prompt,
    completion_tokens: scene.pieces.length,
    total_tokens: prompt + scene.pieces.length,
  };
  const tail = [chunkOf(model, {}, scene.finish)];
  if (body.stream_options?.include_usage && !scene.directive.omit_usage) {
    tail.push({ ...chunkOf(model, {}), choices: [], usage });
  }
  return {
    head: frames.map((f) => `data: ${JSON.stringify(f)}\n\n`),
    pieces: pieceFrames.map((f) => `data: ${JSON.stringify(f)}\n\n`),
    tail: [...tail.map((f) => `data: ${JSON.stringify(f)}\n\n`), "data: [DONE]\n\n"],
    error: `data: ${JSON.stringify(openAIError(500, "scripted failure mid-stream"))}\n\n`,
  };
}

export function openAICompletion(body, scene, prompt) {
  const content = scene.pieces
    .filter((p) => p.kind === "text")
    .map((p) => p.text)
    .join("");
  const calls = new Map();
  for (const p of scene.pieces) {
    if (p.kind !== "tool") continue;
    const call = calls.get(p.index) ?? {
      id: p.id,
      type: "function",
      function: { name: p.name, arguments: "" },
    };
    call.function.arguments += p.args;
    calls.set(p.index, call);
  }
  return {
    id: "chatcmpl-scripted",
    object: "chat.completion",
    created: 0,
    model: body.model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: content || null,
          ...(calls.size && { tool_calls: [...calls.values()] }),
        },
        finish_reason: scene.finish,
      },
    ],
    usage: {
      prompt_tokens: prompt,
      completion_tokens: scene.pieces.length,
      total_tokens: prompt + scene.pieces.length,
    },
  };
}
