// The demo `npm run dev` shows without a provider key: a coding agent that proposes a small,
// runnable Python program for the request, then comments on what the program printed.

// No backend is chosen: the browser's Python worker sets one and turns plt.show() into a
// displayed image, as it must for any model's matplotlib program.
const PLOT = `import math
import os

import matplotlib.pyplot as plt

xs = [i * 4 * math.pi / 200 for i in range(201)]
ys = [math.sin(x) for x in xs]
plt.figure(figsize=(6, 3))
plt.plot(xs, ys)
plt.title("y = sin(x)")
plt.grid(True)
os.makedirs("/data", exist_ok=True)
plt.savefig("/data/sine.png")
print(f"Saved /data/sine.png: {len(xs)} points, peak {max(ys):.3f}")
plt.show()`;

const PRIMES = `def primes_below(n):
    sieve = [True] * n
    sieve[0:2] = [False, False]
    for i in range(2, int(n ** 0.5) + 1):
        if sieve[i]:
            sieve[i * i :: i] = [False] * len(range(i * i, n, i))
    return [i for i, is_prime in enumerate(sieve) if is_prime]


primes = primes_below(100)
print(f"{len(primes)} primes below 100: {primes}")`;

const FIBONACCI = `def fibonacci(count):
    a, b = 0, 1
    for _ in range(count):
        yield a
        a, b = b, a + b


numbers = list(fibonacci(20))
print(f"First 20 Fibonacci numbers: {numbers}")
print(f"Ratio of the last two: {numbers[-1] / numbers[-2]:.6f}")`;

// `display` is the browser's helper (a path or bytes shows an image, a CSV path a table).
const TIMES_TABLE = `import csv
import os

path = "/data/times-table.csv"
os.makedirs("/data", exist_ok=True)
with open(path, "w", newline="", encoding="utf-8") as f:
    writer = csv.writer(f)
    writer.writerow(["n"] + [f"×{m}" for m in range(1, 11)])
    for n in range(1, 11):
        writer.writerow([n] + [n * m for m in range(1, 11)])
display(path)
print(f"Saved {path}: 1 to 10 times 1 to 10, {10 * 10} products")`;

// A PNG by hand (signature, IHDR, one zlib-compressed IDAT, IEND) needs no package from the CDN.
const GRADIENT = `import os
import struct
import zlib

WIDTH, HEIGHT = 256, 128
LEFT, RIGHT = (255, 94, 58), (40, 90, 220)


def chunk(kind, data):
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data))
    )


# Every row is the same left-to-right blend, each led by filter byte 0 (none).
row = bytearray([0])
for x in range(WIDTH):
    t = x / (WIDTH - 1)
    row += bytes(round(a + (b - a) * t) for a, b in zip(LEFT, RIGHT))
header = struct.pack(">IIBBBBB", WIDTH, HEIGHT, 8, 2, 0, 0, 0)  # 8-bit RGB
png = (
    b"\\x89PNG\\r\\n\\x1a\\n"
    + chunk(b"IHDR", header)
    + chunk(b"IDAT", zlib.compress(bytes(row) * HEIGHT, 9))
    + chunk(b"IEND", b"")
)
os.makedirs("/data", exist_ok=True)
with open("/data/gradient.png", "wb") as f:
    f.write(png)
display("/data/gradient.png")
print(f"Saved /data/gradient.png: {WIDTH}×{HEIGHT} pixels, {len(png)} bytes")`;

/** @param {string} request */
function generic(request) {
  // A JSON string literal is a valid Python one once lone surrogates are gone.
  const literal = JSON.stringify(request.trim().slice(0, 200).toWellFormed());
  return `import os
from collections import Counter
from datetime import datetime

request = ${literal}
words = request.lower().split()
os.makedirs("/data", exist_ok=True)
with open("/data/request.txt", "w") as f:
    f.write(f"{datetime.now().isoformat()}\\n{request}\\n")
print(f"Your request has {len(words)} words; most common: {Counter(words).most_common(3)}")
print("Saved it to /data/request.txt")`;
}

/** @type {[RegExp, string, string][]} */
const PROGRAMS = [
  [
    /plot|chart|graph|sine|sin\(|matplotlib/i,
    "plots a sine wave and saves it to /data/sine.png",
    PLOT,
  ],
  [/prime/i, "lists the primes below 100 with a sieve", PRIMES],
  [/fibonacci|\bfib\b/i, "prints the first 20 Fibonacci numbers", FIBONACCI],
  [
    /multiplication|times[ -]?table/i,
    "saves a multiplication table to /data/times-table.csv and shows it",
    TIMES_TABLE,
  ],
  [
    /gradient|\bpng\b|image/i,
    "builds a colour-gradient PNG with only zlib and struct, saves it to /data/gradient.png and shows it",
    GRADIENT,
  ],
];

/** @param {string} text */
function clip(text) {
  const trimmed = text.trim();
  return trimmed.length > 200 ? `${trimmed.slice(0, 200)}…` : trimmed;
}

/**
 * The lines of one section of the browser's run report ("stdout:", "error:", …), if present.
 * @param {string} output
 * @param {string} name
 */
function section(output, name) {
  const lines = output.split("\n");
  const start = lines.indexOf(`${name}:`);
  if (start < 0) return null;
  const end = lines.findIndex(
    (l, i) => i > start && /^(stdout|stderr|error):$|^\[displayed /.test(l),
  );
  return lines.slice(start + 1, end < 0 ? undefined : end).filter((l) => l.trim());
}

/**
 * What a run's result says, in a sentence: the browser's report (the code that ran, then its
 * stdout, displays and error sections) or any other tool output as plain text.
 * @param {string} output
 * @param {boolean} failed
 */
function resultSentence(output, failed) {
  if (/^The person skipped/.test(output)) {
    return "You skipped the program, so nothing ran. Tell me what to change, or ask for something else.";
  }
  const error = section(output, "error");
  if (error?.length) return `The program stopped with an error: "${clip(error.at(-1) ?? "")}"`;
  const printed = section(output, "stdout");
  const shown = output.split("\n").filter((l) => l.startsWith("[displayed "));
  if (printed?.length) return `The program ran. It printed: "${clip(printed[0] ?? "")}"`;
  if (shown.length)
    return `The program ran and showed ${shown.length === 1 ? "one result" : `${shown.length} results`} below it.`;
  if (/^stdout:|^The person (ran|edited)/m.test(output))
    return "The program ran and printed nothing.";
  const line = clip(output.split("\n").find((l) => l.trim()) ?? "");
  if (!line) return "The program ran and printed nothing.";
  return failed
    ? `The program stopped with an error: "${line}"`
    : `The program ran. Its output begins: "${line}"`;
}

/**
 * @param {{ userText: string, toolOutput: string | null, toolFailed: boolean, toolNames: string[] }} turn
 * @returns {{ reply: string, calls: { name: string, arguments: { code: string } }[] }}
 */
export function demoTurn(turn) {
  if (turn.toolOutput !== null) {
    return { reply: resultSentence(turn.toolOutput, turn.toolFailed), calls: [] };
  }
  if (!turn.userText.trim()) {
    return {
      reply:
        "Ask me for a small Python program, for example a plot, primes, a multiplication table or a gradient image.",
      calls: [],
    };
  }
  const [, does, code] = PROGRAMS.find(([pattern]) => pattern.test(turn.userText)) ?? [
    null,
    "counts the words in your request and saves it to /data/request.txt",
    generic(turn.userText),
  ];
  const sentence = `Here is a short Python program that ${does}.`;
  if (turn.toolNames.includes("python_run"))
    return { reply: sentence, calls: [{ name: "python_run", arguments: { code } }] };
  // Without the tool the proposal can only be shown.
  return { reply: `${sentence}\n\n\`\`\`python\n${code}\n\`\`\`\n`, calls: [] };
}
