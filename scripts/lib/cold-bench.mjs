// First requests to a new isolate, for `npm run bench`: each sample starts a new workerd whose
// Worker evaluates its global scope on the first request (startWorkerd's coldStart, as on
// Cloudflare), sends that request, then the same request again warm. Two kinds, each in its own
// new isolate: `GET /api/me` signed in (the session cookie), and a first inference
// (`/v1/chat/completions` with a virtual key, streamed), which also loads the tokenizer on first
// use. Each new workerd also has a new Durable Object; the account's key is not yet in the
// isolate's cache, so the first inference looks it up in Postgres, as a new isolate would.
import { median, timeStream } from "./stream-timing.mjs";
import { startWorkerd } from "./workerd.mjs";

const WARM_REPEATS = 15;

async function timeGet(url, headers) {
  const started = performance.now();
  const res = await fetch(url, { headers });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
  return performance.now() - started;
}

/** One new isolate: `first()` once (cold), then `WARM_REPEATS` times (warm). */
async function sample(options, first) {
  const workerd = await startWorkerd({
    ...options,
    reuseClient: true,
    reuseBundle: true,
    coldStart: true,
  });
  try {
    const cold = await first(workerd.url);
    const warm = [];
    for (let i = 0; i < WARM_REPEATS; i++) warm.push(await first(workerd.url));
    return { cold, warm };
  } finally {
    await workerd.stop();
  }
}

/**
 * `options` are startWorkerd's (database, variables); `cookie` a signed-in session's, `key` a
 * virtual key. The bundle startWorkerd built last is reused.
 */
export async function measureCold(options, { cookie, key, samples = 5 }) {
  // wrangler, which reads the Worker's options for each new workerd, says each time that the
  // Hyperdrive binding uses the local database. Quiet for the measurement only: processes
  // started later (the page bench's dev server, whose "Ready on" is awaited) inherit the
  // environment.
  const logLevel = process.env.WRANGLER_LOG;
  process.env.WRANGLER_LOG = "warn";
  try {
    return await measureEach(options, { cookie, key, samples });
  } finally {
    if (logLevel === undefined) delete process.env.WRANGLER_LOG;
    else process.env.WRANGLER_LOG = logLevel;
  }
}

async function measureEach(options, { cookie, key, samples }) {
  const me = { cold: [], warm: [] };
  const infer = { cold: [], warm: [] };
  for (let i = 0; i < samples; i++) {
    const a = await sample(options, (base) => timeGet(`${base}/api/me`, { cookie }));
    me.cold.push(a.cold);
    me.warm.push(median(a.warm));
    const b = await sample(options, (base) =>
      timeStream(`${base}/v1/chat/completions`, { authorization: `Bearer ${key}` }),
    );
    infer.cold.push(b.cold);
    infer.warm.push({
      ttft: median(b.warm.map((r) => r.ttft)),
      total: median(b.warm.map((r) => r.total)),
    });
  }
  return { me, infer };
}

const f = (n) => n.toFixed(1).padStart(8);

/** `label` names a Worker other than the app (the baseline). */
export function printCold({ me, infer }, samples, label = "") {
  const pick = (list, key) => list.map((r) => r[key]);
  console.log(
    `\nFirst request to a new isolate${label} (the global scope evaluated on it, as on Cloudflare), against the same request warm in that isolate; ms, median of ${samples} new isolates each`,
  );
  console.log("request                                   cold      warm     added");
  const line = (name, cold, warm) =>
    console.log(
      `${name.padEnd(36)}${f(median(cold))}  ${f(median(warm))}  ${f(median(cold) - median(warm))}`,
    );
  line("GET /api/me (session cookie)", me.cold, me.warm);
  line("first inference: first token", pick(infer.cold, "ttft"), pick(infer.warm, "ttft"));
  line("first inference: whole stream", pick(infer.cold, "total"), pick(infer.warm, "total"));
}
