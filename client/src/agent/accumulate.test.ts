// The accumulator on streams recorded from the scripted model through the real gateway
// (fixtures/*.sse, the raw response bodies of POST /api/inference): what the transcript shows
// while an answer streams, and the message the loop keeps once it has ended.
// Recorded with `npm run dev` and the scripted model, one POST each, the last user message
// carrying `@scripted {...}`: text-only {reply}; python-call {reply, tool_call: TRICKY};
// ascii-escaped-call {tool_call with TRICKY's arguments written as ASCII-only JSON (\uXXXX)};
// parallel-calls {reply, tool_call: [TRICKY, SECOND]}; fails-midway {tokens: 40,
// fail_after_tokens: 12}; fails-mid-call {reply, tool_call: TRICKY, fail_after_tokens: 30};
// cut-midway {tokens: 40, cut_after_tokens: 12}.
import { createParser } from "eventsource-parser";
import { describe, expect, it } from "vitest";
import type { Chunk } from "../api/inference";
import { type Accumulated, accumulate, codeOf, emptyMessage, partialCode } from "./accumulate";
import asciiEscapedCall from "./fixtures/ascii-escaped-call.sse?raw";
import failsMidCall from "./fixtures/fails-mid-call.sse?raw";
import failsMidway from "./fixtures/fails-midway.sse?raw";
import parallelCalls from "./fixtures/parallel-calls.sse?raw";
import pythonCall from "./fixtures/python-call.sse?raw";
import textOnly from "./fixtures/text-only.sse?raw";

// The code the recordings asked for (`@scripted {"tool_call": ...}`): quotes, newlines, a tab,
// backslashes (one of them before a `u`), accented letters, CJK and an emoji.
const TRICKY =
  'name = "Zoë 🐍"\nprint(f"héllo\\t{name}")\npath = "C:\\\\data\\\\new"\nfor c in "naïve ✓ 日本語":\n\tprint(repr(c), \'\\u00e9\')\n';
const SECOND = "import math\nprint(math.pi)  # π ≈ 3.14159\n";

interface Recording {
  chunks: Chunk[];
  done: boolean;
  error: { code: string; message: string } | null;
}

/** Reads a recorded body the way the client does: eventsource-parser, one JSON chunk a frame. */
function parse(sse: string): Recording {
  const recording: Recording = { chunks: [], done: false, error: null };
  const parser = createParser({
    onEvent(message) {
      if (message.data === "[DONE]") {
        recording.done = true;
        return;
      }
      const value = JSON.parse(message.data) as Chunk & { error?: Recording["error"] };
      if (value.error) recording.error = value.error;
      else recording.chunks.push(value);
    },
  });
  parser.feed(sse);
  return recording;
}

/** Every state the transcript goes through: after the first chunk, the second, … */
function states(chunks: Chunk[]): Accumulated[] {
  const all: Accumulated[] = [];
  let message = emptyMessage();
  for (const chunk of chunks) {
    message = accumulate(message, chunk);
    all.push(message);
  }
  return all;
}

const final = (chunks: Chunk[]) => states(chunks).at(-1) ?? emptyMessage();

/** What a python_run cell shows, at every chunk of the stream, for the call at `index`. */
function shownCode(chunks: Chunk[], index: number): string[] {
  return states(chunks).flatMap((m) => {
    const call = m.calls.find((c) => c.index === index);
    return call ? [partialCode(call.arguments)] : [];
  });
}

/** The cell's text grows with the stream and never shows something the code does not have. */
function expectGrowsToward(shown: string[], code: string) {
  expect(shown.length).toBeGreaterThan(10);
  for (const [i, text] of shown.entries()) {
    expect(code.startsWith(text), `chunk ${i}: ${JSON.stringify(text)}`).toBe(true);
    if (i > 0) expect(text.startsWith(shown[i - 1] ?? "")).toBe(true);
  }
}

describe("accumulate on recorded streams", () => {
  it("joins a text answer, its finish reason and the usage chunk", () => {
    const { chunks, done } = parse(textOnly);
    expect(done).toBe(true);
    const message = final(chunks);
    expect(message.content).toBe(
      "Hello! Here is a plain answer, with “curly quotes”, an é and an emoji 🎉 split across tokens.",
    );
    expect(message.calls).toEqual([]);
    expect(message.finishReason).toBe("stop");
    expect(message.usage).toEqual({ prompt_tokens: 77, completion_tokens: 25, total_tokens: 102 });
  });

  it("shows the text growing word by word, without losing what came before", () => {
    const shown = states(parse(textOnly).chunks).map((m) => m.content);
    const whole = shown.at(-1) ?? "";
    expect(new Set(shown).size).toBeGreaterThan(15);
    for (const text of shown) expect(whole.startsWith(text)).toBe(true);
  });

  it("assembles one python_run call whose escapes were split across fragments", () => {
    const { chunks } = parse(pythonCall);
    const message = final(chunks);
    expect(message.content).toBe("Let me run that:");
    expect(message.finishReason).toBe("tool_calls");
    expect(message.usage).toEqual({ prompt_tokens: 131, completion_tokens: 69, total_tokens: 200 });
    expect(message.calls).toHaveLength(1);
    const [call] = message.calls;
    expect(call?.id).toMatch(/^call_\w+$/);
    expect(call?.name).toBe("python_run");
    expect(call?.index).toBe(0);
    expect(JSON.parse(call?.arguments ?? "")).toEqual({ code: TRICKY });
    expect(codeOf(call?.arguments ?? "")).toBe(TRICKY);
  });

  it("types the code into the cell as it streams: always a prefix of the final code", () => {
    const shown = shownCode(parse(pythonCall).chunks, 0);
    expectGrowsToward(shown, TRICKY);
    expect(shown.at(-1)).toBe(TRICKY);
    // The escapes did arrive in halves (`\` in one fragment, `n` in the next); being a prefix
    // at every chunk means the cell never showed the half.
    expect(shown.some((text) => text.endsWith('"Zoë 🐍"'))).toBe(true);
  });

  it("decodes \\uXXXX escapes only once all four digits have arrived", () => {
    const { chunks } = parse(asciiEscapedCall);
    const [call] = final(chunks).calls;
    // The model wrote every non-ASCII character as an escape, and the stream split them.
    expect(call?.arguments).toContain("\\u00eb \\ud83d\\udc0d");
    expect(codeOf(call?.arguments ?? "")).toBe(TRICKY);
    const shown = shownCode(chunks, 0);
    expectGrowsToward(shown, TRICKY);
    // The code's own `\u00e9` (a Python escape) comes last; before it, no `\u` may show.
    const beforePython = shown.filter((text) => !text.includes("repr(c)"));
    for (const text of beforePython) expect(text).not.toContain("\\u");
    expect(shown).toContain('name = "Zo');
    expect(shown).toContain('name = "Zoë');
  });

  // Between `\ud83d` and `\udc0d` the cell holds half an emoji (a lone high surrogate), which
  // the page draws as a replacement character until the other half arrives.
  it("never shows half of a surrogate pair while an emoji's escapes stream", () => {
    const shown = shownCode(parse(asciiEscapedCall).chunks, 0);
    for (const text of shown) expect(text).not.toMatch(/[\uD800-\uDBFF]$/);
  });

  it("keeps two parallel calls apart, by index, each with its own id", () => {
    const { chunks } = parse(parallelCalls);
    const message = final(chunks);
    expect(message.content).toBe("Two cells:");
    expect(message.finishReason).toBe("tool_calls");
    expect(message.usage?.total_tokens).toBe(249);
    expect(message.calls.map((c) => c.index)).toEqual([0, 1]);
    expect(message.calls.map((c) => c.name)).toEqual(["python_run", "python_run"]);
    const [first, second] = message.calls;
    expect(first?.id).toMatch(/^call_/);
    expect(second?.id).toMatch(/^call_/);
    expect(first?.id).not.toBe(second?.id);
    expect(codeOf(first?.arguments ?? "")).toBe(TRICKY);
    expect(codeOf(second?.arguments ?? "")).toBe(SECOND);
    expectGrowsToward(shownCode(chunks, 0), TRICKY);
    expectGrowsToward(shownCode(chunks, 1), SECOND);
  });

  it("keeps what arrived when the stream fails midway, with no finish reason or usage", () => {
    const { chunks, done, error } = parse(failsMidway);
    expect(done).toBe(false);
    expect(error?.code).toBe("upstream_error");
    const message = final(chunks);
    expect(message.content).toBe("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do");
    expect(message.finishReason).toBeNull();
    expect(message.usage).toBeNull();
  });

  it("leaves a call cut off mid-arguments unparseable, but shows the code that came", () => {
    const { chunks, error } = parse(failsMidCall);
    expect(error?.code).toBe("upstream_error");
    const message = final(chunks);
    expect(message.content).toBe("Running:");
    expect(message.finishReason).toBeNull();
    const [call] = message.calls;
    expect(call?.id).toMatch(/^call_/);
    expect(codeOf(call?.arguments ?? "")).toBeNull();
    const shown = partialCode(call?.arguments ?? "");
    expect(shown).toBe('name = "Zoë 🐍"\nprint(f"héllo\\t{name}")\npath = "C');
    expectGrowsToward(shownCode(chunks, 0), TRICKY);
  });

  it("leaves the earlier message as it was (the transcript compares states by reference)", () => {
    const { chunks } = parse(parallelCalls);
    const all = states(chunks);
    const before = all[20];
    const frozen = JSON.stringify(before);
    for (const chunk of chunks.slice(21)) accumulate(before ?? emptyMessage(), chunk);
    expect(JSON.stringify(before)).toBe(frozen);
    expect(JSON.stringify(all[20])).toBe(frozen);
  });
});

describe("accumulate on hand-made chunks", () => {
  const fragment = (index: number, args: string, first?: { id: string; name: string }) =>
    ({
      choices: [
        {
          index: 0,
          delta: {
            tool_calls: [
              {
                index,
                ...(first && { id: first.id, type: "function" as const }),
                function: { ...(first && { name: first.name }), arguments: args },
              },
            ],
          },
          finish_reason: null,
        },
      ],
    }) satisfies Chunk;

  it("joins interleaved fragments of two calls by index, and sorts the calls", () => {
    const chunks = [
      fragment(1, '{"code":"b', { id: "call_b", name: "python_run" }),
      fragment(0, '{"code":"a', { id: "call_a", name: "python_run" }),
      fragment(1, '2"}'),
      fragment(0, '1"}'),
    ];
    const message = final(chunks);
    expect(message.calls.map((c) => [c.id, c.arguments])).toEqual([
      ["call_a", '{"code":"a1"}'],
      ["call_b", '{"code":"b2"}'],
    ]);
  });

  it("ignores choices other than the first", () => {
    const message = accumulate(emptyMessage(), {
      choices: [
        { index: 1, delta: { content: "other" }, finish_reason: "stop" },
        { index: 0, delta: { content: "mine" }, finish_reason: null },
      ],
    });
    expect(message.content).toBe("mine");
    expect(message.finishReason).toBeNull();
  });
});

describe("partialCode", () => {
  it("reads every prefix of the final arguments as a prefix of the code, and never throws", () => {
    const args = JSON.stringify({ code: TRICKY });
    const ascii = args.replace(
      /[\u007f-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
    for (const text of [args, ascii]) {
      for (let end = 0; end <= text.length; end++) {
        const shown = partialCode(text.slice(0, end));
        expect(TRICKY.startsWith(shown), `${JSON.stringify(text.slice(0, end))}`).toBe(true);
      }
      expect(partialCode(text)).toBe(TRICKY);
    }
  });

  it("holds back a trailing backslash and an unfinished \\u escape", () => {
    expect(partialCode('{"code":"print(1)\\')).toBe("print(1)");
    expect(partialCode('{"code":"print(1)\\n')).toBe("print(1)\n");
    expect(partialCode('{"code":"caf\\u00')).toBe("caf");
    expect(partialCode('{"code":"caf\\u00e9')).toBe("café");
    expect(partialCode('{"code":"a\\\\')).toBe("a\\");
  });

  it("shows nothing before the code argument has started, and tolerates spacing", () => {
    expect(partialCode("")).toBe("");
    expect(partialCode('{"co')).toBe("");
    expect(partialCode('{"code": ')).toBe("");
    expect(partialCode('{ "code" :  "x = 1')).toBe("x = 1");
  });

  it("shows nothing, rather than throwing, for arguments that are not JSON", () => {
    expect(() => partialCode('{"code":"\\x41')).not.toThrow();
    expect(partialCode('{"code":"\\x41')).toBe("");
    expect(partialCode("not json at all")).toBe("");
  });
});

describe("codeOf", () => {
  it("reads the code of complete arguments, and null for anything else", () => {
    expect(codeOf('{"code":"print(1)"}')).toBe("print(1)");
    expect(codeOf('{"code":"print(1)"')).toBeNull();
    expect(codeOf('{"code":42}')).toBeNull();
    expect(codeOf("null")).toBeNull();
    expect(codeOf("")).toBeNull();
  });
});
