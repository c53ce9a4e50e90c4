// The bench's second tab: how much later than the caller's own stream a chunk reaches another
// tab of the account through GET /api/live. One socket follows a session; streamed turns are
// sent in it (the scripted model, 50 tokens 10 ms apart, as stream-timing.mjs's), and for every
// chunk N the time the socket got it is set against the time the caller's SSE got it.
import { CHUNK_DELAY_MS, percentile, STREAM_TOKENS } from "./stream-timing.mjs";

const DIRECTIVE = `@scripted ${JSON.stringify({ tokens: STREAM_TOKENS, chunk_delay_ms: CHUNK_DELAY_MS })}`;

/** One turn in `sessionId` (null: a new session); the caller's arrival time of each chunk. */
async function turn(base, headers, sessionId, content) {
  const res = await fetch(`${base}/api/inference`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({
      model: "gpt-5-mini",
      stream: true,
      max_tokens: 200,
      ...(sessionId && { session_id: sessionId }),
      messages: [{ role: "user", content }],
    }),
  });
  if (res.status !== 200) throw new Error(`/api/inference: ${res.status} ${await res.text()}`);
  const arrivals = [];
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const bytes of res.body) {
    const at = performance.now();
    buffered += decoder.decode(bytes, { stream: true });
    const frames = buffered.split("\n\n");
    buffered = frames.pop() ?? "";
    for (const frame of frames) {
      const data = frame.startsWith("data: ") ? frame.slice(6) : null;
      if (data && data !== "[DONE]") arrivals.push(at);
    }
  }
  return {
    sessionId: res.headers.get("x-session-id"),
    streamId: res.headers.get("x-stream-id"),
    arrivals,
  };
}

/** A socket to /api/live recording when each chunk of each stream arrived, and the ends. */
async function openTab(base, headers) {
  const ws = new WebSocket(`${base.replace(/^http/, "ws")}/api/live`, { headers });
  const chunks = new Map();
  const ends = new Map();
  const waiting = new Map();
  let pong = null;
  ws.addEventListener("message", (event) => {
    const at = performance.now();
    const message = JSON.parse(String(event.data));
    if (message.type === "chunk") {
      if (!chunks.has(message.stream_id)) chunks.set(message.stream_id, []);
      chunks.get(message.stream_id)[message.seq] = at;
    } else if (message.type === "end") {
      ends.set(message.stream_id, message);
      waiting.get(message.stream_id)?.();
    } else if (message.type === "pong") pong?.();
  });
  await new Promise((resolve, reject) => {
    ws.addEventListener("open", resolve, { once: true });
    ws.addEventListener("error", () => reject(new Error("/api/live: the socket failed")), {
      once: true,
    });
  });
  return {
    chunks,
    /** Follows the session; resolves once the agent has (a ping answered after it). */
    follow(sessionId) {
      ws.send(JSON.stringify({ type: "follow", session_id: sessionId }));
      return new Promise((resolve) => {
        pong = resolve;
        ws.send(JSON.stringify({ type: "ping" }));
      });
    },
    ended(streamId) {
      if (ends.has(streamId)) return Promise.resolve(ends.get(streamId));
      return new Promise((resolve) => waiting.set(streamId, () => resolve(ends.get(streamId))));
    },
    close: () => ws.close(1000),
  };
}

/**
 * Against a running app and a signed-in `cookie`: `samples` streamed turns while a second tab
 * follows their session. Per chunk, socket arrival minus SSE arrival (ms; negative when the
 * socket was first): p50, p99, and the count of chunks compared.
 */
export async function measureSecondTab({ base, cookie, origin, samples = 10 }) {
  const headers = { cookie, origin: origin ?? base };
  // The session the tab follows, made by a short first turn.
  const first = await turn(base, headers, null, '@scripted {"reply":"k"}');
  const tab = await openTab(base, headers);
  const delays = [];
  try {
    await tab.follow(first.sessionId);
    for (let i = 0; i < samples; i++) {
      const { streamId, arrivals } = await turn(base, headers, first.sessionId, DIRECTIVE);
      await tab.ended(streamId);
      const seen = tab.chunks.get(streamId) ?? [];
      if (seen.length !== arrivals.length)
        throw new Error(`the tab got ${seen.length} chunks, the caller ${arrivals.length}`);
      arrivals.forEach((at, n) => {
        delays.push(seen[n] - at);
      });
    }
  } finally {
    tab.close();
  }
  return { chunks: delays.length, p50: percentile(delays, 50), p99: percentile(delays, 99) };
}
