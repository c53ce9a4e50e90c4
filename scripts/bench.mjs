// `npm run bench`: the gateway's overhead against the scripted model, measured side by side in
// one run. Time to first token and total stream time through the app vs straight to the model
// (median, p99, ratio) at 1 and 50 concurrent streams, and reservations per second on one hot
// account. Starts its own Postgres, scripted model and the Worker in workerd; prints a table.
// A bare pass-through Worker is measured beside them: what any Worker in front costs here.
// BENCH_INSPECTOR_PORT opens the app's workerd to DevTools for a CPU profile.
import { join } from "node:path";
import postgres from "postgres";
import { ROOT } from "./lib/local-config.mjs";
import { freePort, waitForHttp } from "./lib/net.mjs";
import { hasPgBouncer, startPgBouncer } from "./lib/pgbouncer.mjs";
import { applyMigrations, createDatabase, startCluster } from "./lib/postgres.mjs";
import { start } from "./lib/process.mjs";
import { startPassThrough, startWorkerd } from "./lib/workerd.mjs";

const STREAM_TOKENS = 50;
const CHUNK_DELAY_MS = 10;
const RUNS = [
  { concurrency: 1, streams: 60 },
  { concurrency: 50, streams: 200 },
];

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

// The first chunk that carries text: the role chunk OpenAI-style servers send first has an empty
// "content", and is not a token.
const FIRST_TOKEN = /"content":"[^"]/;

/** Streams one completion; returns ms to the first content chunk and to the end. */
async function timeStream(url, headers) {
  const started = performance.now();
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({
      model: "gpt-5-mini",
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 200,
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

async function batch(url, headers, { concurrency, streams }) {
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

function summary(results) {
  const ttft = results.map((r) => r.ttft);
  const total = results.map((r) => r.total);
  return {
    ttft50: percentile(ttft, 50),
    ttft99: percentile(ttft, 99),
    total50: percentile(total, 50),
    total99: percentile(total, 99),
  };
}

async function signUpProKey(base, databaseUrl) {
  const signIn = await fetch(`${base}/api/auth/sign-in/anonymous`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: base },
    body: "{}",
  });
  const cookie = signIn.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  const me = await (await fetch(`${base}/api/me`, { headers: { cookie } })).json();
  if (!me.account_id) throw new Error(`sign-in failed: ${signIn.status} ${JSON.stringify(me)}`);
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  await sql`update accounts set tier = 'pro' where id = ${me.account_id}`;
  await sql`update quota_buckets set limit_tokens = 2000000000 where account_id = ${me.account_id}`;
  await sql.end();
  const key = await (
    await fetch(`${base}/api/keys`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie, origin: base },
      body: JSON.stringify({ label: "bench" }),
    })
  ).json();
  return { key: key.key, accountId: me.account_id };
}

const fmt = (n) => n.toFixed(1).padStart(8);
const KEYS = ["ttft50", "ttft99", "total50", "total99"];
const row = (concurrency, path, cells) =>
  console.log(`${String(concurrency).padStart(11)}  ${path.padEnd(6)}  ${cells.join("  ")}`);

async function main() {
  const cluster = process.env.DATABASE_URL ? null : await startCluster({ auth: "trust" });
  const stops = [() => cluster?.stop()];
  try {
    const databaseUrl = await createDatabase(
      process.env.DATABASE_URL ?? cluster.url,
      "gradual_bench",
    );
    await applyMigrations(databaseUrl);
    let appDatabaseUrl = databaseUrl;
    if (hasPgBouncer()) {
      const bouncer = await startPgBouncer(databaseUrl);
      stops.push(() => bouncer.stop());
      appDatabaseUrl = bouncer.url;
      console.log(
        "bench: the app reaches Postgres through PgBouncer (session pooling), as Hyperdrive pools in production",
      );
    } else {
      console.log(
        "bench: no PgBouncer (apt-get install pgbouncer): every request opens a fresh Postgres backend, which Hyperdrive's pool avoids in production",
      );
    }
    const modelPort = await freePort();
    const model = start(
      process.execPath,
      [join(ROOT, "scripts/scripted-model/server.mjs"), "--port", String(modelPort)],
      process.env,
    );
    stops.push(model.stop);
    const modelUrl = `http://127.0.0.1:${modelPort}`;
    await waitForHttp(`${modelUrl}/v1/models`);

    let workerdLog = "";
    const app = await startWorkerd({
      inspectorPort: process.env.BENCH_INSPECTOR_PORT
        ? Number(process.env.BENCH_INSPECTOR_PORT)
        : undefined,
      databaseUrl: appDatabaseUrl,
      vars: {
        ENVIRONMENT: "development",
        OPENAI_API_KEY: "sk-bench",
        OPENAI_BASE_URL: `${modelUrl}/v1`,
        TIER_LIMITS: JSON.stringify({
          pro: { concurrent_streams: 1000, requests_per_minute: 1000000 },
        }),
      },
      onLog: (log) => (workerdLog = `${workerdLog}${log.message}\n`.slice(-20_000)),
    });
    stops.push(app.stop);
    const base = app.url;
    await waitForHttp(`${base}/api/health`).catch((error) => {
      throw new Error(`${error.message}\n${workerdLog}`);
    });
    const { key, accountId } = await signUpProKey(base, databaseUrl);
    const viaApp = {
      url: `${base}/v1/chat/completions`,
      headers: { authorization: `Bearer ${key}` },
    };
    const direct = {
      url: `${modelUrl}/v1/chat/completions`,
      headers: { authorization: "Bearer direct" },
    };
    const passThrough = await startPassThrough(modelUrl);
    stops.push(passThrough.stop);
    const bare = { url: `${passThrough.url}/v1/chat/completions`, headers: direct.headers };

    // What a fresh local Postgres connection costs, measured in this run: the health route
    // (one connection, one query) against a route that touches nothing.
    const floor = await roundTrips(`${base}/api/no-such-route`, 50);
    const oneQuery = await roundTrips(`${base}/api/health`, 50);

    // Warm both paths (isolate start, connection setup) before measuring.
    await batch(viaApp.url, viaApp.headers, { concurrency: 5, streams: 10 });
    await batch(direct.url, direct.headers, { concurrency: 5, streams: 10 });
    await batch(bare.url, bare.headers, { concurrency: 5, streams: 10 });

    console.log(
      `\nStreams of ${STREAM_TOKENS} tokens, ${CHUNK_DELAY_MS} ms apart, from the scripted model (ms)\n`,
    );
    console.log("concurrency  path      ttft p50  ttft p99  total p50 total p99");
    for (const run of RUNS) {
      // Alternate halves so drift (GC, warm-up) hits every path alike.
      const half = { ...run, streams: run.streams / 2 };
      const results = { app: [], direct: [], bare: [] };
      for (let round = 0; round < 2; round++) {
        results.app.push(...(await batch(viaApp.url, viaApp.headers, half)));
        results.direct.push(...(await batch(direct.url, direct.headers, half)));
        results.bare.push(...(await batch(bare.url, bare.headers, half)));
      }
      const a = summary(results.app);
      const d = summary(results.direct);
      const b = summary(results.bare);
      const rows = [
        [run.concurrency, "direct", (key) => fmt(d[key])],
        ["", "bare", (key) => fmt(b[key])],
        ["", "app", (key) => fmt(a[key])],
        ["", "added", (key) => fmt(a[key] - d[key])],
        [
          "",
          "ratio",
          (key) => (a[key] / d[key]).toFixed(key.startsWith("ttft") ? 2 : 3).padStart(8),
        ],
        ["", "- bare", (key) => fmt(a[key] - b[key])],
      ];
      for (const [concurrency, path, cell] of rows) row(concurrency, path, KEYS.map(cell));
      const ttftOk = a.ttft50 - d.ttft50 <= 5;
      const totalOk = a.total50 / d.total50 <= 1.03;
      row("", "target", [
        `added ttft p50 ≤ 5 ms: ${ttftOk ? "met" : "MISSED"}; total p50 ≤ +3 %: ${totalOk ? "met" : "MISSED"}\n`,
      ]);
    }
    console.log(
      "direct: straight to the model; bare: through a Worker that only passes the stream on (the floor of any Worker here); app: through the gateway; added and ratio: app against direct; - bare: app against bare.",
    );
    console.log(
      `A fresh local-Hyperdrive connection and one query cost ${(oneQuery - floor).toFixed(1)} ms (p50) in this run; the Worker pays it on a key's first request in an isolate (later ones route from its cache; the Durable Object keeps its connection).`,
    );
    const hot = await hotAccount(viaApp, databaseUrl, accountId, { concurrency: 50, seconds: 5 });
    console.log(
      `Reservations on one hot account (each a whole gateway request: auth, reserve, stream, settle; 50 concurrent, 5 s): ${hot.perSecond.toFixed(0)}/s; used_tokens = sum of debits: ${hot.balanced}`,
    );
  } finally {
    for (const stop of stops.reverse()) await stop?.();
  }
}

/** Median latency of `count` sequential GETs. */
async function roundTrips(url, count) {
  const times = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await (await fetch(url)).arrayBuffer();
    times.push(performance.now() - started);
  }
  return percentile(times, 50);
}

/** Completed one-token requests per second on one account, and whether the books balance. */
async function hotAccount(viaApp, databaseUrl, accountId, { concurrency, seconds }) {
  const deadline = performance.now() + seconds * 1000;
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const res = await fetch(viaApp.url, {
          method: "POST",
          headers: { "content-type": "application/json", ...viaApp.headers },
          body: JSON.stringify({
            model: "gpt-5-mini",
            max_tokens: 5,
            messages: [{ role: "user", content: '@scripted {"reply":"k"}' }],
          }),
        });
        await res.arrayBuffer();
        if (res.status === 200) done += 1;
      }
    }),
  );
  const perSecond = done / ((performance.now() - started) / 1000);
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  const [books] = await sql`
    select (select sum(used_tokens) from quota_buckets where account_id = ${accountId}) as used,
           (select sum(debited_tokens) from usage_log where account_id = ${accountId}) as debited`;
  await sql.end();
  return { perSecond, balanced: Number(books.used) === Number(books.debited) };
}

main().catch((error) => {
  console.error(`bench: ${error.stack ?? error}`);
  process.exitCode = 1;
});
