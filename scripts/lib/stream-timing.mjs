// Timing streams for the bench: one completion's time to first token and total, batches of
// them at a concurrency, and percentiles.
export const STREAM_TOKENS = 50;
export const CHUNK_DELAY_MS = 10;

export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export const median = (values) => percentile(values, 50);

// The first chunk that carries text: the role chunk OpenAI-style servers send first has an empty
// "content", and is not a token.
const FIRST_TOKEN = /"content":"[^"]/;

/** Streams one completion; returns ms to the first content chunk and to the end. */
export async function timeStream(url, headers) {
  const started = performance.now();
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({
      model: "gpt-5-mini",
      stream: true,
      stream_options: { include_usage: true },
      max_completion_tokens: 200,
      messages: [
        {
          role: "user",
          content: `bench\n@scripted ${JSON.stringify({ tokens: STREAM_TOKENS, chunk_delay_ms: CHUNK_DELAY_MS })}`,
        },
      ],
    }),
  });
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  const decoder = new TextDecoder();
  let first = null;
  let text = "";
  for await (const bytes of res.body) {
    text += decoder.decode(bytes, { stream: true });
    if (first === null && FIRST_TOKEN.test(text)) first = performance.now() - started;
  }
  if (!text.includes("[DONE]")) throw new Error(`${url}: stream did not finish`);
  return { ttft: first ?? Number.NaN, total: performance.now() - started };
}

/** `streams` completions, `concurrency` at a time. */
export async function batch(url, headers, { concurrency, streams }) {
  const results = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < streams) {
        next += 1;
        results.push(await timeStream(url, headers));
      }
    }),
  );
  return results;
}
