// The scripted model server: OpenAI-compatible (/v1/chat/completions, /v1/models) and
// Anthropic-compatible (/v1/messages), deterministic and able to fail on cue. Used by the tests,
// the benchmark, and `npm run dev` when no provider key is set.
// Run directly: node scripts/scripted-model/server.mjs [--port 9999] [--host 127.0.0.1]
import { createServer } from "node:http";
import { pathToFileURL } from "node:url";
import {
  anthropicError,
  anthropicMessage,
  anthropicPromptTokens,
  anthropicStream,
  anthropicTurn,
} from "./anthropic.mjs";
import { openAICompletion, openAIError, openAIStream, openAITurn } from "./openai.mjs";
import { plan, RequestError } from "./scenario.mjs";

/**
 * `outcome` says how the answer ended: sent whole ("finished"), or the client hung up first
 * ("cancelled"); "open" while it runs.
 * @typedef {{ path: string, headers: import("node:http").IncomingHttpHeaders, body: unknown,
 *   outcome: "open" | "finished" | "cancelled" }} RecordedRequest
 */

const MODELS = ["scripted-demo"];
// A long `npm run dev` session must not keep every conversation it ever saw.
const MAX_RECORDED = 1000;
const MAX_BODY_BYTES = 20 * 1024 * 1024;

const PROTOCOLS = {
  "/v1/chat/completions": {
    turn: openAITurn,
    stream: openAIStream,
    whole: openAICompletion,
    error: openAIError,
  },
  "/v1/messages": {
    turn: anthropicTurn,
    stream: anthropicStream,
    whole: anthropicMessage,
    error: anthropicError,
  },
};

/** Waits `ms`, or less if the response closes first (the client left, or stop()). */
function pause(res, ms) {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      res.off("close", done);
      resolve(undefined);
    };
    const timer = setTimeout(done, ms);
    res.once("close", done);
  });
}

/** How often a pause sends the protocol's keep-alive. */
const KEEP_ALIVE_MS = 250;

/** Pauses `ms` mid-answer, sending `keepAlive` (if the protocol has one) now and then. */
async function pauseAlive(res, ms, keepAlive) {
  const until = performance.now() + ms;
  for (let left = ms; left > 0 && !res.destroyed; left = until - performance.now()) {
    await pause(res, Math.min(KEEP_ALIVE_MS, left));
    if (keepAlive && !res.destroyed && until - performance.now() > 0) res.write(keepAlive);
  }
}

function drained(res) {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve(undefined);
    };
    res.once("drain", done);
    res.once("close", done);
  });
}

/** Flushes what was written, then closes the socket mid-body: no terminator, no last chunk. */
function cut(res) {
  // Writes are ordered, so this callback runs once the earlier frames reached the socket.
  res.write("", () => res.socket?.destroy());
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) req.destroy(new Error("request body too large"));
      else chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function sendJson(res, status, value, headers = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(value));
}

/** Streams the frames with the directive's pacing, and its failure if it asks for one. */
async function stream(res, frames, directive, headers) {
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    connection: "keep-alive",
    ...headers,
  });
  res.write(frames.head);
  const d = directive;
  if (d.first_token_delay_ms) await pause(res, d.first_token_delay_ms);
  const count = frames.pieces.length;
  // Pieces are due at fixed offsets from the first, so timer lateness does not add up.
  let first = performance.now();
  // Position i is "after i pieces"; a failure at position `count` hits before the finish.
  for (let i = 0; i <= count; i++) {
    if (res.destroyed) return;
    if (i === d.fail_after_tokens) return res.end(frames.error);
    if (i === d.malformed_after_tokens) return res.end(frames.malformed);
    if (i === d.cut_after_tokens) return cut(res);
    if (i === d.stall_after_tokens) return; // nothing more, connection left open
    if (i === d.pause_after_tokens && d.pause_ms) {
      await pauseAlive(res, d.pause_ms, frames.keepAlive);
      first += d.pause_ms;
    }
    if (i === count) break;
    const wait = d.chunk_delay_ms ? first + i * d.chunk_delay_ms - performance.now() : 0;
    if (wait >= 1) await pause(res, wait);
    if (res.destroyed) return;
    if (!res.write(frames.pieces[i])) await drained(res);
  }
  if (!res.destroyed) res.end(frames.tail);
}

/** stream:false with a mid-answer failure: the closest a single JSON answer can come. */
function failWhole(res, protocol, scene, d, headers) {
  const at = (n) => n !== undefined && n <= scene.pieces.length;
  if (at(d.fail_after_tokens)) {
    sendJson(res, 500, protocol.error(500, "The scripted model failed."), headers);
    return true;
  }
  if (at(d.malformed_after_tokens)) {
    res.writeHead(200, { "content-type": "application/json", ...headers });
    res.end('{"id": "scripted", "choices": [ not json');
    return true;
  }
  if (at(d.cut_after_tokens)) {
    res.socket?.destroy();
    return true;
  }
  return at(d.stall_after_tokens);
}

/**
 * What tests in another process can ask: the requests whose body mentions `text`, and how each
 * ended (the runtime tests cannot reach `requests` directly).
 * @param {RecordedRequest[]} requests @param {string | null} text
 */
function recordedContaining(requests, text) {
  return requests
    .filter((r) => text && JSON.stringify(r.body).includes(text))
    .map((r) => ({ path: r.path, outcome: r.outcome, body: r.body }));
}

async function handle(req, res, requests, seq, demoPace) {
  const url = new URL(req.url ?? "/", "http://localhost");
  const raw = await readBody(req);
  let body = null;
  try {
    body = raw ? JSON.parse(raw) : null;
  } catch {
    body = raw;
  }
  if (req.method === "GET" && url.pathname === "/scripted/requests")
    return sendJson(res, 200, {
      data: recordedContaining(requests, url.searchParams.get("contains")),
    });
  if (requests.length >= MAX_RECORDED) requests.splice(0, requests.length - MAX_RECORDED + 1);
  /** @type {RecordedRequest} */
  const record = { path: url.pathname, headers: req.headers, body, outcome: "open" };
  requests.push(record);
  res.on("close", () => {
    record.outcome = res.writableFinished ? "finished" : "cancelled";
  });
  const headers = { "x-request-id": `req_scripted${seq}`, "request-id": `req_scripted${seq}` };

  if (req.method === "GET" && url.pathname === "/v1/models") {
    const data = MODELS.map((id) => ({ id, object: "model", created: 0, owned_by: "scripted" }));
    return sendJson(res, 200, { object: "list", data }, headers);
  }
  if (req.method === "GET" && url.pathname.startsWith("/v1/models/")) {
    const id = decodeURIComponent(url.pathname.slice("/v1/models/".length));
    return sendJson(res, 200, { id, object: "model", created: 0, owned_by: "scripted" }, headers);
  }
  if (req.method === "POST" && url.pathname === "/v1/messages/count_tokens") {
    const counted = body && typeof body === "object" ? anthropicPromptTokens(body) : 0;
    return sendJson(res, 200, { input_tokens: counted }, headers);
  }
  const protocol = PROTOCOLS[url.pathname];
  if (req.method !== "POST" || !protocol)
    return sendJson(res, 404, openAIError(404, `no route for ${req.method} ${url.pathname}`));
  if (!body || typeof body !== "object" || Array.isArray(body))
    return sendJson(res, 400, protocol.error(400, "the body must be a JSON object"), headers);

  let scene;
  let prompt;
  try {
    const asked = protocol.turn(body);
    scene = plan(asked.turn);
    // A provider whose tokenizer counts the prompt higher than the gateway's estimate.
    prompt = asked.prompt + (scene.directive.extra_prompt_tokens ?? 0);
  } catch (error) {
    if (!(error instanceof RequestError)) throw error;
    return sendJson(res, error.status, protocol.error(error.status, error.message), headers);
  }
  // The demo speaks at a model's pace when asked to (npm run dev); directives set their own.
  const d = scene.demo ? demoPace : scene.directive;
  if (d.fail !== undefined)
    return sendJson(res, d.fail, protocol.error(d.fail, `Scripted failure (${d.fail}).`), headers);
  if (body.stream === true)
    return stream(res, protocol.stream(body, scene, prompt, seq), d, headers);
  if (d.first_token_delay_ms) await pause(res, d.first_token_delay_ms);
  if (res.destroyed || failWhole(res, protocol, scene, d, headers)) return;
  if (d.chunk_delay_ms) await pause(res, d.chunk_delay_ms * Math.max(0, scene.pieces.length - 1));
  if (!res.destroyed) sendJson(res, 200, protocol.whole(body, scene, prompt, seq), headers);
}

/**
 * Starts the server; `port: 0` picks a free port. `demoPace` delays the demo's answers like a
 * real model's (first token, then between tokens); tests leave it off and get them at once.
 * @param {{ port?: number, host?: string, demoPace?: { first_token_delay_ms: number, chunk_delay_ms: number } }} [options]
 * @returns {Promise<{ url: string, stop: () => Promise<void>, requests: RecordedRequest[] }>}
 */
export async function startScriptedModel({ port = 0, host = "127.0.0.1", demoPace = {} } = {}) {
  /** @type {RecordedRequest[]} */
  const requests = [];
  const sockets = new Set();
  let seq = 0;
  const server = createServer((req, res) => {
    seq += 1;
    handle(req, res, requests, seq, demoPace).catch((error) => {
      if (!res.headersSent) sendJson(res, 500, openAIError(500, String(error)));
      else res.destroy();
    });
  });
  server.on("connection", (socket) => {
    // One small frame per token: Nagle would hold them back and distort time-to-first-token.
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(undefined));
  });
  const address = server.address();
  const actualPort = typeof address === "object" && address ? address.port : port;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  /** @type {Promise<void> | undefined} */
  let stopping;
  return {
    url: `http://${urlHost}:${actualPort}`,
    requests,
    stop() {
      stopping ??= new Promise((resolve) => {
        server.close(() => resolve());
        // Stalled streams and idle keep-alive connections would otherwise hold close() open.
        for (const socket of sockets) socket.destroy();
      });
      return stopping;
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const option = (name) => {
    const at = process.argv.indexOf(name);
    return at > 0 ? process.argv[at + 1] : undefined;
  };
  const model = await startScriptedModel({
    port: Number(option("--port") ?? 0),
    host: option("--host") ?? "127.0.0.1",
  });
  console.log(`scripted model listening on ${model.url}`);
  const stop = () => model.stop().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
