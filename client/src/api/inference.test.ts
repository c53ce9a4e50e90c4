// Reading POST /api/inference: the recorded bodies (../agent/fixtures/*.sse), delivered in
// pieces cut wherever the network likes (inside a character, inside a frame), come out as the
// same chunks in the same order, and the way the stream ended becomes exactly one error event
// or none.
import { afterEach, describe, expect, it, vi } from "vitest";
import { accumulate, codeOf, emptyMessage } from "../agent/accumulate";
import cutMidway from "../agent/fixtures/cut-midway.sse?raw";
import failsMidway from "../agent/fixtures/fails-midway.sse?raw";
import parallelCalls from "../agent/fixtures/parallel-calls.sse?raw";
import pythonCall from "../agent/fixtures/python-call.sse?raw";
import textOnly from "../agent/fixtures/text-only.sse?raw";
import { ApiError } from "./http";
import { type Chunk, read, type StreamEvent, streamInference } from "./inference";

const encoder = new TextEncoder();

/** A response body that delivers `text`'s bytes cut at `cuts`, then ends (or fails). */
function body(text: string, cuts: number[], failure?: unknown): ReadableStream<Uint8Array> {
  const bytes = encoder.encode(text);
  const edges = [...new Set([0, ...cuts.filter((c) => c > 0 && c < bytes.length), bytes.length])];
  edges.sort((a, b) => a - b);
  const pieces = edges.slice(1).map((end, i) => bytes.slice(edges[i], end));
  return new ReadableStream({
    pull(controller) {
      const next = pieces.shift();
      if (next) controller.enqueue(next);
      else if (failure) controller.error(failure);
      else controller.close();
    },
  });
}

async function events(stream: ReadableStream<Uint8Array>): Promise<StreamEvent[]> {
  const all: StreamEvent[] = [];
  for await (const event of read(stream)) all.push(event);
  return all;
}

/** The chunks a body holds, read without eventsource-parser: one JSON object per frame. */
const framesOf = (text: string): Chunk[] =>
  text
    .split("\n\n")
    .filter((frame) => frame.startsWith("data: {") && !frame.includes('"error"'))
    .map((frame) => JSON.parse(frame.slice("data: ".length)) as Chunk);

const chunksOf = (all: StreamEvent[]) => all.flatMap((e) => (e.kind === "chunk" ? [e.chunk] : []));
const errorsOf = (all: StreamEvent[]) => all.flatMap((e) => (e.kind === "error" ? [e.error] : []));

// Every way of cutting a body that has broken readers before.
function splits(text: string): [string, number[]][] {
  const bytes = encoder.encode(text);
  const every = (n: number) => Array.from({ length: Math.ceil(bytes.length / n) }, (_, i) => i * n);
  // Inside every multi-byte character: before each continuation byte.
  const midCharacter = [...bytes.keys()].filter((i) => ((bytes[i] ?? 0) & 0xc0) === 0x80);
  // Between the two newlines that end each frame, and inside each "data:" prefix.
  const midFrame = [...text.matchAll(/\n\n/g)].flatMap((m) => {
    const at = encoder.encode(text.slice(0, m.index)).length;
    return [at + 1, at + 5];
  });
  return [
    ["one byte at a time", every(1)],
    ["in 7-byte pieces", every(7)],
    ["inside every multi-byte character", midCharacter],
    ["between a frame's two newlines and inside data:", midFrame],
  ];
}

describe("read", () => {
  for (const [name, fixture] of [
    ["text-only", textOnly],
    ["python-call", pythonCall],
    ["parallel-calls", parallelCalls],
  ] as const) {
    for (const [how, cuts] of splits(fixture)) {
      it(`${name}, delivered ${how}: every chunk whole and in order, no error`, async () => {
        expect(cuts.length).toBeGreaterThan(5);
        const all = await events(body(fixture, cuts));
        expect(errorsOf(all)).toEqual([]);
        expect(chunksOf(all)).toEqual(framesOf(fixture));
      });
    }
  }

  it("decodes characters split between reads: the cell gets the exact code", async () => {
    const bytes = encoder.encode(pythonCall);
    const midCharacter = [...bytes.keys()].filter((i) => ((bytes[i] ?? 0) & 0xc0) === 0x80);
    expect(midCharacter.length).toBeGreaterThan(10);
    const message = chunksOf(await events(body(pythonCall, midCharacter))).reduce(
      accumulate,
      emptyMessage(),
    );
    expect(message.content).toBe("Let me run that:");
    expect(codeOf(message.calls[0]?.arguments ?? "")).toContain('name = "Zoë 🐍"');
    expect(codeOf(message.calls[0]?.arguments ?? "")).toContain('"naïve ✓ 日本語"');
  });

  it("ends with a 'cut' error when the body ends without [DONE]", async () => {
    const withoutDone = pythonCall.replace("data: [DONE]\n\n", "");
    expect(withoutDone).not.toBe(pythonCall);
    const all = await events(body(withoutDone, [100, 2000]));
    expect(chunksOf(all)).toEqual(framesOf(pythonCall));
    const last = all.at(-1);
    expect(last?.kind).toBe("error");
    expect(errorsOf(all)).toHaveLength(1);
    const [error] = errorsOf(all);
    expect(error).toBeInstanceOf(ApiError);
    expect(error?.code).toBe("cut");
    expect(error?.status).toBe(200);
  });

  it("drops a frame cut in half by the end of the body, then reports the cut", async () => {
    const end = pythonCall.indexOf('"arguments":"n"') + 5;
    const all = await events(body(pythonCall.slice(0, end), [333]));
    const chunks = chunksOf(all);
    expect(chunks).toEqual(framesOf(pythonCall).slice(0, chunks.length));
    expect(chunks.length).toBeGreaterThan(5);
    expect(all.at(-1)).toMatchObject({ kind: "error", error: { code: "cut" } });
  });

  it("turns the gateway's error frame into one error event with its code, and no 'cut'", async () => {
    for (const [how, cuts] of splits(failsMidway)) {
      const all = await events(body(failsMidway, cuts));
      expect(chunksOf(all), how).toEqual(framesOf(failsMidway));
      expect(chunksOf(all).length).toBeGreaterThan(5);
      const errors = errorsOf(all);
      expect(errors, how).toHaveLength(1);
      expect(all.at(-1)?.kind).toBe("error");
      expect(errors[0]?.code).toBe("upstream_error");
      expect(errors[0]?.message).toBe("The model provider failed: it reported an error mid-stream");
    }
  });

  it("reports the model's lost connection as the gateway's error, not as a cut", async () => {
    // The gateway closes the answer with an error frame when its upstream drops.
    const all = await events(body(cutMidway, splits(cutMidway)[1]?.[1] ?? []));
    expect(chunksOf(all)).toEqual(framesOf(cutMidway));
    expect(errorsOf(all).map((e) => [e.code, e.message])).toEqual([
      ["upstream_error", "The model provider failed: the connection to it was lost"],
    ]);
  });

  it("ignores anything after [DONE]", async () => {
    const extra = `${textOnly}data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: "late" }, finish_reason: null }] })}\n\n`;
    const all = await events(body(extra, [50]));
    expect(chunksOf(all)).toEqual(framesOf(textOnly));
    expect(errorsOf(all)).toEqual([]);
  });

  it("reports a dropped connection as offline, after the chunks that arrived", async () => {
    const half = encoder.encode(textOnly).length >> 1;
    const all = await events(body(textOnly.slice(0, half), [], new TypeError("network error")));
    expect(chunksOf(all).length).toBeGreaterThan(3);
    expect(errorsOf(all)).toHaveLength(1);
    expect(all.at(-1)).toMatchObject({
      kind: "error",
      error: { code: "offline", status: 0, message: "network error" },
    });
  });

  it("lets Stop's abort through as an abort, not as an error event", async () => {
    const abort = new DOMException("The user aborted a request.", "AbortError");
    const seen: StreamEvent[] = [];
    const reading = (async () => {
      for await (const event of read(body(textOnly.slice(0, 900), [300], abort))) seen.push(event);
    })();
    await expect(reading).rejects.toMatchObject({ name: "AbortError" });
    expect(errorsOf(seen)).toEqual([]);
    expect(chunksOf(seen).length).toBeGreaterThan(0);
  });
});

describe("streamInference", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("posts the body as JSON and streams the answer, with the session the server named", async () => {
    const fetch = vi.fn(
      async (_path: string, _init?: RequestInit) =>
        new Response(body(textOnly, [64, 65, 1000]), {
          headers: { "content-type": "text/event-stream", "x-session-id": "session-1" },
        }),
    );
    vi.stubGlobal("fetch", fetch);
    const request = { model: "scripted-demo", stream: true, messages: [] };
    const stream = await streamInference(request, new AbortController().signal);
    expect(stream.sessionId).toBe("session-1");
    const [path, init] = fetch.mock.calls[0] ?? [];
    expect(path).toBe("/api/inference");
    expect(init?.method).toBe("POST");
    expect(JSON.parse(String(init?.body))).toEqual(request);
    const all: StreamEvent[] = [];
    for await (const event of stream.events) all.push(event);
    expect(chunksOf(all).reduce(accumulate, emptyMessage()).content).toContain("curly quotes");
    expect(errorsOf(all)).toEqual([]);
  });

  it("throws the server's refusal as an ApiError, before any stream", async () => {
    const resetAt = "2030-01-01T00:00:00.000Z";
    vi.stubGlobal(
      "fetch",
      async () =>
        new Response(
          JSON.stringify({
            error: { code: "quota_exceeded", message: "Daily quota used", reset_at: resetAt },
          }),
          { status: 429, headers: { "content-type": "application/json", "retry-after": "120" } },
        ),
    );
    const failure = await streamInference({}, new AbortController().signal).catch((e) => e);
    expect(failure).toBeInstanceOf(ApiError);
    expect(failure).toMatchObject({
      status: 429,
      code: "quota_exceeded",
      retryAfter: 120,
      resetAt,
    });
  });

  it("throws offline when the server cannot be reached", async () => {
    vi.stubGlobal("fetch", async () => {
      throw new TypeError("Failed to fetch");
    });
    const failure = await streamInference({}, new AbortController().signal).catch((e) => e);
    expect(failure).toMatchObject({ status: 0, code: "offline" });
  });
});
