// The demo `npm run dev` shows without a provider key: a coding agent that proposes a small,
// runnable Python program for the request, then comments on what the program printed.

const PLOT = `import math
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

xs = [i * 4 * math.pi / 200 for i in range(201)]
ys = [math.sin(x) for x in xs]
plt.figure(figsize=(6, 3))
plt.plot(xs, ys)
plt.title("y = sin(x)")
plt.grid(True)
os.makedirs("/data", exist_ok=True)
plt.savefig("/data/sine.png")
print(f"Saved /data/sine.png: {len(xs)} points, peak {max(ys):.3f}")`;

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
];

/** @param {string} output */
function firstLine(output) {
  const line = output.split("\n").find((l) => l.trim()) ?? "";
  const trimmed = line.trim();
  return trimmed.length > 200 ? `${trimmed.slice(0, 200)}…` : trimmed;
}

/**
 * @param {{ userText: string, toolOutput: string | null, toolFailed: boolean, toolNames: string[] }} turn
 * @returns {{ reply: string, calls: { name: string, arguments: { code: string } }[] }}
 */
export function demoTurn(turn) {
  if (turn.toolOutput !== null) {
    const line = firstLine(turn.toolOutput);
    const reply = !line
      ? "The program ran and printed nothing."
      : turn.toolFailed
        ? `The program stopped with an error: "${line}"`
        : `The program ran. Its output begins: "${line}"`;
    return { reply, calls: [] };
  }
  if (!turn.userText.trim()) {
    return {
      reply: "Ask me for a small Python program, for example a plot, primes or Fibonacci numbers.",
      calls: [],
    };
  }
  const [, does, code] = PROGRAMS.find(([pattern]) => pattern.test(turn.userText)) ?? [
    null,
    "counts the words in your request and saves it to /data/request.txt",
    generic(turn.userText),
  ];
  const sentence = `Here is a short Python program that ${does}.`;
  if (turn.toolNames.includes("run_python"))
    return { reply: sentence, calls: [{ name: "run_python", arguments: { code } }] };
  // Without the tool the proposal can only be shown.
  return { reply: `${sentence}\n\n\`\`\`python\n${code}\n\`\`\`\n`, calls: [] };
}
