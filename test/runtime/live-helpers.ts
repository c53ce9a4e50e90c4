// Helpers for the tests of GET /api/live: a tab's socket and what it received, the caller's SSE
// read as it comes, a streamed turn, and what the account's agent keeps for the tabs.
import { runInDurableObject } from "cloudflare:test";
import { expect } from "vitest";
import type { Browser } from "./browser";
import {
  agentFor,
  chat,
  parseSse,
  type SseResult,
  scripted,
  sessionMessages,
} from "./inference-helpers";

export type Message = { type: string; [field: string]: unknown };
export type ChunkMessage = { type: "chunk"; stream_id: string; seq: number; data: Chunk };
export type Chunk = { choices: { delta?: { content?: string } }[] };

/** One tab's socket, with every message it received. */
export class Tab {
  readonly messages: Message[] = [];
  readonly closed: Promise<{ code: number }>;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly ws: WebSocket) {
    ws.accept();
    ws.addEventListener("message", (event) => {
      this.messages.push(JSON.parse(String(event.data)) as Message);
      for (const wake of this.waiters) wake();
    });
    this.closed = new Promise((resolve) => {
      ws.addEventListener("close", (event) => resolve({ code: event.code }));
    });
  }

  static async open(browser: Browser): Promise<Tab> {
    const res = await browser.fetch("/api/live", { headers: { upgrade: "websocket" } });
    if (res.status !== 101 || !res.webSocket)
      throw new Error(`no socket: ${res.status} ${await res.text()}`);
    const tab = new Tab(res.webSocket);
    await tab.waitFor((m) => m.type === "hello");
    return tab;
  }

  send(message: Message) {
    this.ws.send(JSON.stringify(message));
  }

  /** Follows the session, and waits until the agent has done so (and replayed what it had). */
  async follow(sessionId: string | null) {
    this.send({ type: "follow", session_id: sessionId });
    await this.roundTrip();
  }

  /** A ping answered: everything the agent sent before it has arrived. */
  async roundTrip() {
    const pongs = this.messages.filter((m) => m.type === "pong").length;
    this.send({ type: "ping" });
    await this.waitFor(() => this.messages.filter((m) => m.type === "pong").length > pongs);
  }

  waitFor(test: (m: Message) => boolean, timeoutMs = 15_000): Promise<Message> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.messages.find(test);
        if (!found) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(found);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`no such message; got ${JSON.stringify(this.messages).slice(0, 2000)}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  ofStream(streamId: string) {
    return this.messages.filter((m) => m.stream_id === streamId);
  }

  chunks(streamId: string) {
    return this.ofStream(streamId).filter((m) => m.type === "chunk") as unknown as ChunkMessage[];
  }

  end(streamId: string) {
    return this.waitFor((m) => m.type === "end" && m.stream_id === streamId);
  }

  close() {
    this.ws.close(1000, "tab closed");
  }
}

export const textOf = (chunks: Chunk[]) =>
  chunks
    .flatMap((c) => c.choices)
    .map((c) => c.delta?.content ?? "")
    .join("");

/** The caller's SSE, read as it comes. */
export class Caller {
  private raw = "";
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();

  constructor(res: Response) {
    if (!res.body) throw new Error("no body");
    this.reader = res.body.getReader();
  }

  get events() {
    return parseSse(this.raw).events;
  }

  /** Reads until `count` events have come. */
  async readEvents(count: number) {
    while (this.events.length < count) {
      const { value, done } = await this.reader.read();
      if (done) throw new Error("the stream ended early");
      this.raw += this.decoder.decode(value, { stream: true });
    }
  }

  async rest(): Promise<SseResult> {
    for (;;) {
      const { value, done } = await this.reader.read();
      if (done) return parseSse(this.raw);
      this.raw += this.decoder.decode(value, { stream: true });
    }
  }

  /** The caller goes away (a closed tab, a dropped connection). */
  leave() {
    return this.reader.cancel();
  }
}

export async function stream(
  browser: Browser,
  directive: Record<string, unknown>,
  maxTokens = 400,
) {
  const res = await chat(browser, {
    stream: true,
    stream_options: { include_usage: true },
    max_tokens: maxTokens,
    messages: [{ role: "user", content: scripted("tell me", directive) }],
  });
  expect(res.status).toBe(200);
  const sessionId = res.headers.get("x-session-id");
  const streamId = res.headers.get("x-stream-id");
  if (!sessionId || !streamId) throw new Error("no session or stream id");
  return { caller: new Caller(res), sessionId, streamId };
}

/** How many chunks the account's agent holds in storage (batches of them, as arrays). */
export const keptChunks = (accountId: string) =>
  runInDurableObject(
    agentFor(accountId),
    async (_, state) =>
      [...(await state.storage.list<string[]>({ prefix: "live-chunk:" })).values()].flat().length,
  );

/** Every key the account's agent holds for the tabs. */
export const keptKeys = (accountId: string) =>
  runInDurableObject(agentFor(accountId), async (_, state) => [
    ...(await state.storage.list({ prefix: "live-" })).keys(),
  ]);

/** The settled assistant message of the session. */
export async function answerOf(sessionId: string) {
  const messages = await sessionMessages(sessionId);
  return messages.find((m) => m.role === "assistant");
}
