// What the scripted model says: the behaviour directive (`@scripted {json}` in the final user
// message) or the demo (propose a runnable Python program, then comment on its output), as a
// list of one-token pieces so usage equals exactly what was streamed.
import { countTokens, decode, encode } from "gpt-tokenizer";

/** @typedef {{ kind: "text", text: string } | { kind: "tool", index: number, id: string, name: string, args: string, first: boolean }} Piece */

const FILLER = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor ";

/** @param {string} text */
export function tokenPieces(text) {
  return encode(text).map((token) => decode([token]));
}

/** @param {string} text */
export function parseDirective(text) {
  const line = text.split("\n").find((l) => l.trimStart().startsWith("@scripted "));
  if (!line) return null;
  try {
    const value = JSON.parse(line.trimStart().slice("@scripted ".length));
    return value && typeof value === "object" ? value : null;
  } catch {
    return null;
  }
}

const PROGRAMS = [
  [
    /plot|chart|graph|sine/i,
    "import math\nxs = [i / 10 for i in range(63)]\nys = [math.sin(x) for x in xs]\nfor x, y in zip(xs[::8], ys[::8]):\n    print(f\"{x:4.1f} {'#' * int((y + 1) * 20)}\")",
  ],
  [
    /prime/i,
    "primes = [n for n in range(2, 100) if all(n % d for d in range(2, int(n ** 0.5) + 1))]\nprint(primes)",
  ],
  [/fib/i, "a, b = 0, 1\nfor _ in range(15):\n    print(a, end=' ')\n    a, b = b, a + b\nprint()"],
];
const GENERIC =
  'import os, datetime\nos.makedirs("/data", exist_ok=True)\nwith open("/data/hello.txt", "w") as f:\n    f.write(f"hello from {datetime.date.today()}\\n")\nprint(open("/data/hello.txt").read())';

function demoCode(prompt) {
  return PROGRAMS.find(([pattern]) => pattern.test(prompt))?.[1] ?? GENERIC;
}

/**
 * @param {{ lastRole: "user" | "tool", userText: string, toolOutput: string, hasTools: boolean, maxTokens: number }} turn
 */
export function plan(turn) {
  const directive = turn.lastRole === "user" ? parseDirective(turn.userText) : null;
  const d = directive ?? {};
  let reply;
  let toolCalls = [];
  if (directive) {
    reply =
      typeof d.reply === "string"
        ? d.reply
        : Number.isInteger(d.tokens)
          ? fillerText(d.tokens)
          : "";
    if (d.tool_call) toolCalls = Array.isArray(d.tool_call) ? d.tool_call : [d.tool_call];
  } else if (turn.lastRole === "tool") {
    const first = turn.toolOutput.split("\n").find((l) => l.trim()) ?? "(no output)";
    reply = `The program ran. Its output starts with: ${first.trim()}`;
  } else if (turn.hasTools) {
    reply = "Here is a Python program for that; run it to see the result.";
    toolCalls = [{ name: "run_python", arguments: { code: demoCode(turn.userText) } }];
  } else {
    reply = "This is the scripted demo model. Connect a provider key for real answers.";
  }

  /** @type {Piece[]} */
  const pieces = tokenPieces(reply).map((text) => ({ kind: "text", text }));
  toolCalls.forEach((call, index) => {
    const id = `call_scripted_${index}_${Math.random().toString(36).slice(2, 10)}`;
    const fragments = tokenPieces(JSON.stringify(call.arguments ?? {}));
    fragments.forEach((args, i) => {
      pieces.push({ kind: "tool", index, id, name: call.name, args, first: i === 0 });
    });
  });
  const truncated = pieces.length > turn.maxTokens;
  return {
    pieces: truncated ? pieces.slice(0, turn.maxTokens) : pieces,
    finish: truncated ? "length" : toolCalls.length ? "tool_calls" : "stop",
    directive: d,
  };
}

function fillerText(tokens) {
  const out = [];
  const filler = encode(FILLER);
  while (out.length < tokens) out.push(filler[out.length % filler.length]);
  return decode(out);
}

/** Prompt tokens: the messages' text plus a little framing per message. */
export function promptTokens(texts) {
  return texts.reduce((n, t) => n + 4 + countTokens(t), 3);
}
