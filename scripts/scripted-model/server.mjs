// The scripted model server: OpenAI-compatible (/v1/chat/completions, /v1/models) and
// Anthropic-compatible (/v1/messages), deterministic and able to fail on cue. Used by the tests,
// the benchmark, and `npm run dev` when no provider key is set.
// Run directly: node scripts/scripted-model/server.mjs --port 9999
import { createServer } from "node:http";
import { anthropicError, anthropicMessage, anthropicStream, anthropicTurn } from "./anthropic.mjs";
import { openAICompletion, openAIError, openAIStream, openAITurn } from "./openai.mjs";
import { plan } from "./scenario.mjs";

const MODELS = ["scripted-demo"];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

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

function readJson(req) {
  return new Promise((resolve, reject) => {
    let raw = "";
    req.setEncoding("utf8");
    req.on("data", (chunk) => (raw += chunk));
    req.on("end", () => {
      try {
        resolve(raw ? JSON.parse(raw) : {});
      } catch (error) {
        reject(error);
      }
    });
    req.on("error", reject);
  });
}

function sendJson(res, status, value) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(value));
}

/** Streams the frames with the directive's pacing, and its failure if it asks for one. */
async function stream(req, res, frames, pieceCount, d) {
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
  let gone = false;
  req.on("close", () => (gone = true));
  for (const frame of frames.head) res.write(frame);
  if (d.first_token_delay_ms) await sleep(d.first_token_delay_ms);
  for (let i = 0; i < pieceCount; i++) {
    if (gone) return;
    if (i === d.fail_after_tokens) return res.end(frames.error);
    if (i === d.malformed_after_tokens) return res.end("data: {this is not json\n\n");
    // Flush what was written, then drop the connection without a terminator.
    if (i === d.cut_after_tokens) return res.write("", () => res.socket?.destroy());
    if (i === d.stall_after_tokens) return; // keep the connection open, say nothing more
    if (i > 0 && d.chunk_delay_ms) await sleep(d.chunk_delay_ms);
    res.write(frames.pieces[i]);
  }
  if (!gone) res.end(frames.tail.join(""));
}

async function handle(req, res, requests) {
  const url = new URL(req.url ?? "/", "http://localhost");
  if (req.method === "GET" && url.pathname === "/v1/models") {
    return sendJson(res, 200, {
      object: "list",
      data: MODELS.map((id) => ({ id, object: "model", created: 0, owned_by: "scripted" })),
    });
  }
  const protocol = PROTOCOLS[url.pathname];
  if (req.method !== "POST" || !protocol)
    return sendJson(res, 404, { error: { message: "not found" } });
  let body;
  try {
    body = await readJson(req);
  } catch {
    return sendJson(res, 400, protocol.error(400, "malformed JSON"));
  }
  requests.push({ path: url.pathname, headers: req.headers, body });
  const { turn, prompt } = protocol.turn(body);
  const scene = plan(turn);
  const d = scene.directive;
  if (Number.isInteger(d.fail))
    return sendJson(res, d.fail, protocol.error(d.fail, `scripted failure ${d.fail}`));
  if (body.stream)
    return stream(req, res, protocol.stream(body, scene, prompt), scene.pieces.length, d);
  if (d.first_token_delay_ms) await sleep(d.first_token_delay_ms);
  return sendJson(res, 200, protocol.whole(body, scene, prompt));
}

/** @param {{ port?: number, host?: string }} [options] */
export async function startScriptedModel({ port = 0, host = "127.0.0.1" } = {}) {
  /** @type {{ path: string, headers: import("node:http").IncomingHttpHeaders, body: any }[]} */
  const requests = [];
  const sockets = new Set();
  const server = createServer((req, res) => {
    handle(req, res, requests).catch((error) => {
      if (!res.headersSent) sendJson(res, 500, { error: { message: String(error) } });
      else res.destroy();
    });
  });
  server.on("connection", (socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise((resolve) => server.listen(port, host, resolve));
  const address = server.address();
  const actualPort = typeof address === "object" && address ? address.port : port;
  return {
    url: `http://${host}:${actualPort}`,
    port: actualPort,
    requests,
    stop: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve(undefined));
      }),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const flag = process.argv.indexOf("--port");
  const model = await startScriptedModel({ port: flag > 0 ? Number(process.argv[flag + 1]) : 0 });
  console.log(`scripted model listening on ${model.url}`);
  const stop = () => model.stop().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
