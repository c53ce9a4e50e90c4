// `npm run bench`: the gateway's overhead against the scripted model, measured side by side in
// one run. Time to first token and total stream time through the app vs straight to the model
// (median, p99, ratio) at 1 and 50 concurrent streams, and reservations per second on one hot
// account. Starts its own Postgres, scripted model and the Worker in workerd; prints a table.
// Then the page, in headless Chromium (scripts/lib/page-bench.mjs).
// Two floors are measured beside them (see startPassThrough): a bare pass-through Worker, and a
// relay through a Durable Object that reads each chunk in JavaScript; and a peer, Portkey's
// open-source gateway (scripts/lib/portkey.mjs), on the same streams. With each path goes the
// CPU its processes spent per stream. Before the streams, the Worker's start: its startup CPU
// as `wrangler check startup` profiles it and the upload's size (scripts/lib/startup-bench.mjs);
// after them, first requests to new isolates against warm ones (scripts/lib/cold-bench.mjs).
// BENCH_BASELINE=<git rev> adds that commit's Worker (scripts/lib/baseline.mjs): its start, a
// path of its own on the same streams with a row "- baseline", its hot account and its cold
// figures, all beside the app's in the same run.
// BENCH_INSPECTOR_PORT opens the app's workerd to DevTools for a CPU profile.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { checkOutBaseline } from "./lib/baseline.mjs";
import { measureCold, printCold } from "./lib/cold-bench.mjs";
import { measureSecondTab } from "./lib/live-bench.mjs";
import { ROOT } from "./lib/local-config.mjs";
import { freePort, waitForHttp } from "./lib/net.mjs";
import { measurePage } from "./lib/page-bench.mjs";
import { hasPgBouncer, startPgBouncer } from "./lib/pgbouncer.mjs";
import { startPortkey } from "./lib/portkey.mjs";
import { applyMigrations, createDatabase, startCluster } from "./lib/postgres.mjs";
import { start } from "./lib/process.mjs";
import { measureStartup, printStartup } from "./lib/startup-bench.mjs";
import { batch, CHUNK_DELAY_MS, median, percentile, STREAM_TOKENS } from "./lib/stream-timing.mjs";
import { createKey, signInAnonymously } from "./lib/visitor.mjs";
import { startWorkersApart } from "./lib/workerd.mjs";

const RUNS = [
  { concurrency: 1, streams: 60 },
  { concurrency: 50, streams: 200 },
];
/** New isolates per kind of first request. */
const COLD_SAMPLES = 5;

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
  const { cookie, accountId } = await signInAnonymously(base);
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  await sql`update accounts set tier = 'pro' where id = ${accountId}`;
  await sql`update quota_buckets set limit_tokens = 2000000000 where account_id = ${accountId}`;
  await sql.end();
  return { key: await createKey(base, cookie, "bench"), accountId, cookie };
}

const fmt = (n) => n.toFixed(1).padStart(8);
const KEYS = ["ttft50", "ttft99", "total50", "total99"];
const row = (concurrency, path, cells) =>
  console.log(`${String(concurrency).padStart(11)}  ${path.padEnd(9)}  ${cells.join("  ")}`);
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
  const appVars = {
    ENVIRONMENT: "development",
    OPENAI_API_KEY: "sk-bench",
    OPENAI_BASE_URL: `${modelUrl}/v1`,
    TIER_LIMITS: JSON.stringify({
      pro: { concurrent_streams: 1000, requests_per_minute: 1000000 },
    }),
  };
  const workers = await startWorkersApart({
    inspectorPort: process.env.BENCH_INSPECTOR_PORT
      ? Number(process.env.BENCH_INSPECTOR_PORT)
      : undefined,
    databaseUrl: appDatabaseUrl,
    vars: appVars,
  });
  stops.push(workers.stop);
  // The floors in a process of their own: each process's CPU is then one path's.
  const floors = await startWorkersApart({ floorsOnly: true, upstream: modelUrl });
  stops.push(floors.stop);
  const portkey = await startPortkey();
  stops.push(portkey.stop);
  // The baseline, as the app (bundled by wrangler, in a process of its own) but without floors.
  let baseline = null;
  if (process.env.BENCH_BASELINE) {
    const checkout = checkOutBaseline(process.env.BENCH_BASELINE);
    stops.push(checkout.remove);
    const options = { root: checkout.root, bundleDir: join(checkout.root, ".bench-bundle") };
    const baselineWorkers = await startWorkersApart({
      ...options,
      databaseUrl: appDatabaseUrl,
      vars: appVars,
      reuseClient: true,
    });
    stops.push(baselineWorkers.stop);
    baseline = { ...checkout, options, workers: baselineWorkers };
    console.log(`bench: the baseline is ${baseline.label}`);
  }

  // The start first, while nothing else runs (the client build it needs exists by now).
  printStartup(await measureStartup());
  if (baseline)
    printStartup(
      await measureStartup({ root: baseline.root }),
      ` of the baseline, ${baseline.label},`,
    );
  // What the libraries every request needs cost at start, with no app code: the floor under the
  // app's figure (scripts/startup-floor/).
  const startFloor = await measureStartup({ root: join(ROOT, "scripts/startup-floor") });
  console.log(
    `Startup floor, a Worker that only imports Better Auth, Hono with zod-openapi, drizzle and postgres.js: CPU ${median(startFloor.cpu).toFixed(1)} ms median (${startFloor.cpu.length} runs)`,
  );

  const base = workers.app;
  const { key, accountId, cookie } = await signUpProKey(base, databaseUrl);
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
    bare: { url: `${floors.bare}/v1/chat/completions`, headers: direct.headers },
    relay: { url: `${floors.bare}/relay/v1/chat/completions`, headers: direct.headers },
    portkey: {
      url: `${portkey.url}/v1/chat/completions`,
      headers: { ...direct.headers, ...portkey.headersFor(`${modelUrl}/v1`) },
    },
    app: viaApp,
  };
  if (baseline) {
    // An account of its own, whose key the baseline's isolate caches as the app's does its.
    baseline.account = await signUpProKey(baseline.workers.app, databaseUrl);
    // Just before the app, so the two alternate as closely as the paths allow.
    delete paths.app;
    paths.baseline = {
      url: `${baseline.workers.app}/v1/chat/completions`,
      headers: { authorization: `Bearer ${baseline.account.key}` },
    };
    paths.app = viaApp;
  }
  // Whose CPU each path spends: the app's processes, the floors', the baseline's, Portkey's.
  const pids = {
    app: workers.pid,
    bare: floors.pid,
    relay: floors.pid,
    portkey: portkey.pid,
    baseline: baseline?.workers.pid,
  };
  const cpuOf = (name) => (pids[name] ? treeCpuMs(pids[name]) : 0);

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
  console.log("concurrency  path         ttft p50  ttft p99  total p50 total p99  cpu/stream");
  const peers = [];
  for (const run of RUNS) {
    // Alternate halves so drift (GC, warm-up) hits every path alike.
    const half = { ...run, streams: run.streams / 2 };
    const results = Object.fromEntries(Object.keys(paths).map((name) => [name, []]));
    const cpu = Object.fromEntries(Object.keys(paths).map((name) => [name, 0]));
    for (let round = 0; round < 2; round++) {
      for (const [name, path] of Object.entries(paths)) {
        const before = cpuOf(name);
        results[name].push(...(await batch(path.url, path.headers, half)));
        cpu[name] += cpuOf(name) - before;
      }
    }
    const s = Object.fromEntries(
      Object.keys(paths).map((name) => [name, summary(results[name], cpu[name])]),
    );
    const { app: a, direct: d } = s;
    const against = (x, y) => KEYS.map((key) => fmt(x[key] - y[key]));
    const rows = [
      ...Object.keys(paths).map((name, n) => [
        n === 0 ? run.concurrency : "",
        name,
        [...KEYS.map((key) => fmt(s[name][key])), pids[name] ? fmt(s[name].cpu) : BLANK],
      ]),
      ["", "added", [...against(a, d), BLANK]],
      [
        "",
        "ratio",
        KEYS.map((key) => (a[key] / d[key]).toFixed(key.startsWith("ttft") ? 2 : 3).padStart(8)),
      ],
      ["", "- relay", [...against(a, s.relay), BLANK]],
      ["", "- portkey", [...against(a, s.portkey), BLANK]],
      ...(s.baseline
        ? [["", "- baseline", [...against(a, s.baseline), fmt(a.cpu - s.baseline.cpu)]]]
        : []),
    ];
    for (const [concurrency, path, cells] of rows) row(concurrency, path, cells);
    const ttftOk = a.ttft50 - d.ttft50 <= 5;
    const totalOk = a.total50 / d.total50 <= 1.03;
    row("", "target", [
      `added ttft p50 ≤ 5 ms: ${ttftOk ? "met" : "MISSED"}; total p50 ≤ +3 %: ${totalOk ? "met" : "MISSED"}\n`,
    ]);
    peers.push({ concurrency: run.concurrency, ...s });
  }
  console.log(
    [
      "direct: straight to the model. bare: through a Worker that only passes the stream on (what any Worker costs here).",
      "relay: through a Worker and a Durable Object that reads each chunk in JavaScript and passes it on (the least this design does).",
      "portkey: through Portkey's open-source gateway (Node, on loopback), which meters nothing and keeps no books.",
      ...(baseline
        ? [
            `baseline: through the Worker of ${baseline.label}, run as the app is, on the same streams.`,
          ]
        : []),
      "app: through the gateway. added and ratio: app against direct; - relay, - portkey, - baseline: app against those (- baseline: its CPU too).",
      "cpu/stream: CPU ms the path's own processes spent per stream (a workerd and the Node host running it through Miniflare, with the local Hyperdrive proxy: one for the app, one for the floors, one for the baseline; Portkey's Node process).",
    ].join("\n"),
  );
  const beside = ["app", "portkey", ...(baseline ? ["baseline"] : [])];
  console.log(`\nThe app beside ${beside.slice(1).join(" and ")} (against the direct path; p50)`);
  console.log("concurrency  gateway   added ttft  total ratio  cpu/stream");
  for (const { concurrency, direct: d, ...s } of peers) {
    for (const name of beside) {
      const x = s[name];
      console.log(
        `${String(name === "app" ? concurrency : "").padStart(11)}  ${name.padEnd(8)}  ${fmt(x.ttft50 - d.ttft50)}  ${(x.total50 / d.total50).toFixed(3).padStart(11)}  ${fmt(x.cpu).padStart(10)}`,
      );
    }
  }
  console.log(
    `\nA fresh local-Hyperdrive connection and one query cost ${(oneQuery - floor).toFixed(1)} ms (p50) in this run; the Worker pays it on a key's first request in an isolate (later ones route from its cache; the Durable Object keeps its connection).`,
  );
  // Alternated with the baseline's, two rounds each, so drift hits both alike.
  const hotLoad = { concurrency: 50, seconds: 5 };
  const rates = { app: [], baseline: [] };
  let balanced = true;
  for (let round = 0; round < 2; round++) {
    const hot = await hotAccount(viaApp, databaseUrl, accountId, hotLoad);
    rates.app.push(hot.perSecond);
    balanced &&= hot.balanced;
    if (baseline) {
      const { account } = baseline;
      const was = await hotAccount(paths.baseline, databaseUrl, account.accountId, hotLoad);
      rates.baseline.push(was.perSecond);
      balanced &&= was.balanced;
    }
  }
  const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
  console.log(
    `Reservations on one hot account (each a whole gateway request: auth, reserve, stream, settle; 50 concurrent, 2 × 5 s): ${mean(rates.app).toFixed(0)}/s` +
      (baseline ? `; the baseline ${mean(rates.baseline).toFixed(0)}/s` : "") +
      `; used_tokens = sum of debits: ${balanced}`,
  );
  const tab = await measureSecondTab({ base, cookie, samples: 10 });
  console.log(
    `A chunk reaches a second tab of the account (GET /api/live, following the session) ${tab.p50.toFixed(2)} ms (p50), ${tab.p99.toFixed(2)} ms (p99) after the caller's own stream has it (${tab.chunks} chunks)`,
  );
  // Each in a new workerd in this process, with the app's bundle and variables.
  const cold = await measureCold(
    { databaseUrl: appDatabaseUrl, vars: appVars },
    { cookie, key, samples: COLD_SAMPLES },
  );
  printCold(cold, COLD_SAMPLES);
  if (baseline) {
    const { cookie, key } = baseline.account;
    const options = { ...baseline.options, databaseUrl: appDatabaseUrl, vars: appVars };
    const was = await measureCold(options, { cookie, key, samples: COLD_SAMPLES });
    printCold(was, COLD_SAMPLES, ` (the baseline, ${baseline.label})`);
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
