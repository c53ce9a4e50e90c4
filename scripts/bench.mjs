// `npm run bench`: the gateway's overhead against the scripted model, measured side by side in
// one run. Time to first token and total stream time through the app vs straight to the model
// (median, p99, ratio) at 1 and 50 concurrent streams, and reservations per second on one hot
// account. Starts its own Postgres, scripted model and the Worker in workerd; prints a table.
// Then the page, in headless Chromium (scripts/lib/page-bench.mjs).
// Two floors are measured beside them (see startPassThrough): a bare pass-through Worker, and a
// relay through a Durable Object that reads each chunk in JavaScript. With each path goes the
// CPU the Workers' processes spent per stream. BENCH_INSPECTOR_PORT opens the app's workerd to
// DevTools for a CPU profile.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { ROOT } from "./lib/local-config.mjs";
import { freePort, waitForHttp } from "./lib/net.mjs";
import { measurePage } from "./lib/page-bench.mjs";
import { hasPgBouncer, startPgBouncer } from "./lib/pgbouncer.mjs";
import { applyMigrations, createDatabase, startCluster } from "./lib/postgres.mjs";
import { start } from "./lib/process.mjs";
import { startWorkersApart } from "./lib/workerd.mjs";

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

function summary(results, cpuMs) {
  const ttft = results.map((r) => r.ttft);
  const total = results.map((r) => r.total);
  return {
    ttft50: percentile(ttft, 50),
    ttft99: percentile(ttft, 99),
    total50: percentile(total, 50),
    total99: percentile(total, 99),
    cpu: cpuMs / results.length,
  };
}

/**
 * CPU time (ms) spent so far by process `root` and everything under it (Linux /proc; user and
 * system time, in the kernel's fixed 100 ticks a second). NaN where /proc is missing.
 */
function treeCpuMs(root) {
  try {
    const procs = [];
    for (const pid of readdirSync("/proc")) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        procs.push({ pid: Number(pid), ppid: Number(fields[1]), ticks: +fields[11] + +fields[12] });
      } catch {
        // Exited while listed.
      }
    }
    const inTree = new Set([root]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const p of procs) {
        if (inTree.has(p.pid) || !inTree.has(p.ppid)) continue;
        inTree.add(p.pid);
        grew = true;
      }
    }
    return procs.filter((p) => inTree.has(p.pid)).reduce((ms, p) => ms + p.ticks * 10, 0);
  } catch {
    return Number.NaN;
  }
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
const BLANK = "".padStart(8);

async function main() {
  const cluster = process.env.DATABASE_URL ? null : await startCluster({ auth: "trust" });
  const stops = [() => cluster?.stop()];
  try {
    const databaseUrl = await createDatabase(
      process.env.DATABASE_URL ?? cluster.url,
      "gradual_bench",
    );
    await applyMigrations(databaseUrl);
    // BENCH_ONLY=page measures only the page (and skips the gateway's few minutes).
    if (process.env.BENCH_ONLY !== "page") await measureGateway(databaseUrl, stops);
    if (process.env.BENCH_ONLY !== "gateway") await measurePage(databaseUrl);
  } finally {
    for (const stop of stops.reverse()) await stop?.();
  }
}

async function measureGateway(databaseUrl, stops) {
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

  // In a process of their own, so the load generator does not share an event loop with
  // Miniflare's local Hyperdrive proxy and log reader.
  const workers = await startWorkersApart({
    inspectorPort: process.env.BENCH_INSPECTOR_PORT
      ? Number(process.env.BENCH_INSPECTOR_PORT)
      : undefined,
    databaseUrl: appDatabaseUrl,
    upstream: modelUrl,
    vars: {
      ENVIRONMENT: "development",
      OPENAI_API_KEY: "sk-bench",
      OPENAI_BASE_URL: `${modelUrl}/v1`,
      TIER_LIMITS: JSON.stringify({
        pro: { concurrent_streams: 1000, requests_per_minute: 1000000 },
      }),
    },
  });
  stops.push(workers.stop);
  const base = workers.app;
  const { key, accountId } = await signUpProKey(base, databaseUrl);
  const viaApp = {
    url: `${base}/v1/chat/completions`,
    headers: { authorization: `Bearer ${key}` },
  };
  const direct = {
    url: `${modelUrl}/v1/chat/completions`,
    headers: { authorization: "Bearer direct" },
  };
  const paths = {
    direct,
    bare: { url: `${workers.bare}/v1/chat/completions`, headers: direct.headers },
    relay: { url: `${workers.bare}/relay/v1/chat/completions`, headers: direct.headers },
    app: viaApp,
  };

  // What a fresh local Postgres connection costs, measured in this run: the health route
  // (one connection, one query) against a route that touches nothing.
  const floor = await roundTrips(`${base}/api/no-such-route`, 50);
  const oneQuery = await roundTrips(`${base}/api/health`, 50);

  // Warm every path (isolate start, connection setup) before measuring.
  for (const path of Object.values(paths))
    await batch(path.url, path.headers, { concurrency: 5, streams: 10 });

  console.log(
    `\nStreams of ${STREAM_TOKENS} tokens, ${CHUNK_DELAY_MS} ms apart, from the scripted model (ms)\n`,
  );
  console.log("concurrency  path      ttft p50  ttft p99  total p50 total p99  cpu/stream");
  for (const run of RUNS) {
    // Alternate halves so drift (GC, warm-up) hits every path alike.
    const half = { ...run, streams: run.streams / 2 };
    const results = Object.fromEntries(Object.keys(paths).map((name) => [name, []]));
    const cpu = Object.fromEntries(Object.keys(paths).map((name) => [name, 0]));
    for (let round = 0; round < 2; round++) {
      for (const [name, path] of Object.entries(paths)) {
        const before = treeCpuMs(workers.pid);
        results[name].push(...(await batch(path.url, path.headers, half)));
        cpu[name] += treeCpuMs(workers.pid) - before;
      }
    }
    const s = Object.fromEntries(
      Object.keys(paths).map((name) => [name, summary(results[name], cpu[name])]),
    );
    const { app: a, direct: d } = s;
    const rows = [
      ...Object.keys(paths).map((name, n) => [
        n === 0 ? run.concurrency : "",
        name,
        [...KEYS.map((key) => fmt(s[name][key])), fmt(s[name].cpu)],
      ]),
      ["", "added", [...KEYS.map((key) => fmt(a[key] - d[key])), BLANK]],
      [
        "",
        "ratio",
        KEYS.map((key) => (a[key] / d[key]).toFixed(key.startsWith("ttft") ? 2 : 3).padStart(8)),
      ],
      ["", "- relay", [...KEYS.map((key) => fmt(a[key] - s.relay[key])), BLANK]],
    ];
    for (const [concurrency, path, cells] of rows) row(concurrency, path, cells);
    const ttftOk = a.ttft50 - d.ttft50 <= 5;
    const totalOk = a.total50 / d.total50 <= 1.03;
    row("", "target", [
      `added ttft p50 ≤ 5 ms: ${ttftOk ? "met" : "MISSED"}; total p50 ≤ +3 %: ${totalOk ? "met" : "MISSED"}\n`,
    ]);
  }
  console.log(
    [
      "direct: straight to the model. bare: through a Worker that only passes the stream on (what any Worker costs here).",
      "relay: through a Worker and a Durable Object that reads each chunk in JavaScript and passes it on (the least this design does).",
      "app: through the gateway. added and ratio: app against direct; - relay: app against relay.",
      "cpu/stream: CPU ms the Workers' processes (workerd, and Miniflare's Node host with its local Hyperdrive proxy) spent per stream.",
    ].join("\n"),
  );
  console.log(
    `A fresh local-Hyperdrive connection and one query cost ${(oneQuery - floor).toFixed(1)} ms (p50) in this run; the Worker pays it on a key's first request in an isolate (later ones route from its cache; the Durable Object keeps its connection).`,
  );
  const hot = await hotAccount(viaApp, databaseUrl, accountId, { concurrency: 50, seconds: 5 });
  console.log(
    `Reservations on one hot account (each a whole gateway request: auth, reserve, stream, settle; 50 concurrent, 5 s): ${hot.perSecond.toFixed(0)}/s; used_tokens = sum of debits: ${hot.balanced}`,
  );
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
