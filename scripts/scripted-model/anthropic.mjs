// The Anthropic Messages wire format for the scripted model: the real event sequence
// (message_start … message_stop, with pings) or one Message.
import { promptTokens } from "./scenario.mjs";

const STOP = { stop: "end_turn", length: "max_tokens", tool_calls: "tool_use" };

function blockText(content) {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((b) =>
      b?.type === "text" ? b.text : b?.type === "tool_result" ? blockText(b.content) : "",
    )
    .join("");
}

export function anthropicTurn(body) {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const last = messages.at(-1);
  const toolResult = Array.isArray(last?.content)
    ? last.content.find((b) => b?.type === "tool_result")
    : undefined;
  const lastUserText = [...messages]
    .reverse()
    .find(
      (m) =>
        m.role === "user" &&
        !(Array.isArray(m.content) && m.content.some((b) => b?.type === "tool_result")),
    );
  const system = typeof body.system === "string" ? body.system : blockText(body.system);
  return {
    turn: {
      lastRole: toolResult ? "tool" : "user",
      userText: blockText(lastUserText?.content),
      toolOutput: toolResult ? blockText(toolResult.content) : "",
      hasTools: Array.isArray(body.tools) && body.tools.length > 0,
      maxTokens: body.max_tokens ?? 4096,
    },
    prompt: promptTokens([system, ...messages.map((m) => blockText(m.content))]),
  };
}

export function anthropicError(status, message) {
  return {
    type: "error",
    error: { type: status >= 500 ? "api_error" : "invalid_request_error", message },
  };
}

const event = (name, data) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;

export function anthropicStream(body, scene, prompt) {
  const head = [
    event("message_start", {
      type: "message_start",
      message: {
        id: "msg_scripted",
        type: "message",
        role: "assistant",
        model: body.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: prompt, output_tokens: 1 },
      },
    }),
    event("ping", { type: "ping" }),
  ];
  const pieces = [];
  let block = -1;
  let open = null;
  for (const p of scene.pieces) {
    const key = p.kind === "text" ? "text" : `tool-${p.index}`;
    let frame = "";
    if (key !== open) {
      if (open !== null)
        frame += event("content_block_stop", { type: "content_block_stop", index: block });
      block += 1;
      open = key;
      const content_block =
        p.kind === "text"
          ? { type: "text", text: "" }
          : { type: "tool_use", id: p.id.replace("call_", "toolu_"), name: p.name, input: {} };
      frame += event("content_block_start", {
        type: "content_block_start",
        index: block,
        content_block,
      });
    }
    const delta =
      p.kind === "text"
        ? { type: "text_delta", text: p.text }
        : { type: "input_json_delta", partial_json: p.args };
    pieces.push(
      frame + event("content_block_delta", { type: "content_block_delta", index: block, delta }),
    );
  }
  const tail = [];
  if (open !== null)
    tail.push(event("content_block_stop", { type: "content_block_stop", index: block }));
  tail.push(
    event("message_delta", {
      type: "message_delta",
      delta: { stop_reason: STOP[scene.finish], stop_sequence: null },
      usage: { output_tokens: scene.pieces.length },
    }),
    event("message_stop", { type: "message_stop" }),
  );
  return {
    head,
    pieces,
    tail,
    error: event("error", anthropicError(500, "scripted failure mid-stream")),
  };
}

export function anthropicMessage(body, scene, prompt) {
  const content = [];
  for (const p of scene.pieces) {
    const last = content.at(-1);
    if (p.kind === "text") {
      if (last?.type === "text") last.text += p.text;
      else content.push({ type: "text", text: p.text });
    } else if (p.first)
      content.push({
        type: "tool_use",
        id: p.id.replace("call_", "toolu_"),
        name: p.name,
        json: p.args,
      });
    else if (last) last.json += p.args;
  }
  for (const block of content) {
    if (block.type !== "tool_use") continue;
    block.input = JSON.parse(block.json || "{}");
    delete block.json;
  }
  return {
    id: "msg_scripted",
    type: "message",
    role: "assistant",
    model: body.model,
    content,
    stop_reason: STOP[scene.finish],
    stop_sequence: null,
    usage: { input_tokens: prompt, output_tokens: scene.pieces.length },
  };
}
