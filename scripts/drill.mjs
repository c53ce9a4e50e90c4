// `npm run drill`: the fault drill (issue 17). The app as `npm run bench` runs it (workerd in a
// process of its own, a PostgreSQL cluster of its own, the scripted model) under a steady load
// of streamed turns over many accounts, while Postgres crashes and comes back, the model cuts
// and stalls streams, every Durable Object is reset mid-stream and clients hang up mid-stream,
// at random moments from a printed seed. Then the alarms and the sweep settle what is left, and
// the books are checked against what the callers were told; any failed check exits 1.
// `--short` is the ~15 s version `npm test` runs; `--seed N` repeats a run's faults; `--log F`
// writes the Workers' log lines to F and every turn's record to F.turns.json.
import { randomInt } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { readBooks, STALE_MINUTES, settleLeftovers } from "./lib/drill-books.mjs";
import { fmt, injectFaults, RESET_WORKER } from "./lib/drill-faults.mjs";
import { Load, signUpAccounts } from "./lib/drill-load.mjs";
import { random, SIZES, schedule } from "./lib/drill-plan.mjs";
import { judge, printSummary } from "./lib/drill-report.mjs";
import { ROOT } from "./lib/local-config.mjs";
import { freePort, waitForHttp } from "./lib/net.mjs";
import { applyMigrations, clusterUrl, createDatabase, startCluster } from "./lib/postgres.mjs";
import { start } from "./lib/process.mjs";
import { startWorkersApart } from "./lib/workerd.mjs";

const args = process.argv.slice(2);
const short = args.includes("--short");
const seedArg = args.indexOf("--seed");
const seed = seedArg >= 0 ? Number(args[seedArg + 1]) : randomInt(1, 2 ** 31);
if (!Number.isInteger(seed)) throw new Error("--seed takes an integer");
const size = SIZES[short ? "short" : "full"];
const logArg = args.indexOf("--log");
const logFile = logArg >= 0 ? args[logArg + 1] : null;
const log = (text) => console.log(`drill: ${text}`);
const began = performance.now();
const seconds = (since) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

const stops = [];
async function stopAll() {
  for (const stop of stops.splice(0).reverse()) await stop();
}
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => stopAll().finally(() => process.exit(130)));
}

async function main() {
  log(
    `seed ${seed} (repeat with: npm run drill -- ${short ? "--short " : ""}--seed ${seed}); ` +
      `${size.seconds} s, ${size.accounts} accounts × ${size.streamsPerAccount} streams`,
  );
  // Always a cluster of its own, even with DATABASE_URL set: the drill crashes it. Its URL is
  // known before it starts, so the Workers (bundled by wrangler, several seconds) start alongside.
  const pgPort = await freePort();
  const databaseUrl = clusterUrl(pgPort, "gradual_drill");
  const modelPort = await freePort();
  const modelUrl = `http://127.0.0.1:${modelPort}`;
  const model = start(
    process.execPath,
    [join(ROOT, "scripts/scripted-model/server.mjs"), "--port", String(modelPort)],
    process.env,
  );
  stops.push(model.stop);
  let cluster;
  stops.push(() => cluster?.stop());
  const starting = startWorkersApart({
    databaseUrl,
    reuseClient: true,
    besides: [RESET_WORKER],
    triggerHandlers: true,
    printLogs: true,
    vars: {
      ENVIRONMENT: "development",
      OPENAI_API_KEY: "sk-drill",
      OPENAI_BASE_URL: `${modelUrl}/v1`,
      // A stalled stream ends in an error event this long after its last chunk.
      UPSTREAM_TIMEOUT_MS: "2000",
      RESERVATION_STALE_MINUTES: String(STALE_MINUTES),
      // Room for the load: quota that never runs out, and a few streams per account.
      QUOTA_ANON_TOKENS: "100000000",
      TIER_LIMITS: JSON.stringify({
        anon: { concurrent_streams: 8, requests_per_minute: 100_000 },
      }),
    },
  });
  stops.push(() =>
    starting.then(
      (w) => w.stop(),
      () => {},
    ),
  );
  cluster = await startCluster({ auth: "trust", crashSafe: true, port: pgPort });
  await createDatabase(cluster.url, "gradual_drill");
  await applyMigrations(databaseUrl);
  await waitForHttp(`${modelUrl}/v1/models`);
  const workers = await starting;
  log(`started in ${seconds(began)}`);
  const accounts = await signUpAccounts(workers.app, size.accounts);

  const rng = random(seed);
  const plan = schedule(size, rng);
  const t0 = performance.now();
  const clock = () => performance.now() - t0;
  let faults;
  const load = new Load({
    base: workers.app,
    accounts,
    streamsPerAccount: size.streamsPerAccount,
    seed,
    clock,
    calm: (from, to) => faults.calm(from, to),
  });
  faults = injectFaults({
    plan,
    rng,
    cluster,
    load,
    resetUrl: workers["drill-faults"],
    clock,
    log,
  });
  log(
    `load running for ${size.seconds} s; faults at ${plan.map((f) => `${f.kind} ${fmt(f.at)}`).join(", ")}`,
  );
  await Promise.all([load.run(size.seconds * 1000), faults.done]);
  log(`load stopped at ${fmt(clock())}; settling what is left open`);

  const settling = await settleLeftovers({
    databaseUrl,
    entryUrl: workers.entry,
    fastForward: size.fastForward,
    log,
  });
  const books = await readBooks(databaseUrl, accounts, load.records);
  const logCounts = readWorkerLog(workers.output(), load.records);
  const verdict = judge({ records: load.records, outages: faults.outages, books, settling });
  const passed = printSummary({
    header: `Fault drill: seed ${seed}, ${short ? "short" : "full"} (${size.seconds} s, ${size.accounts} accounts × ${size.streamsPerAccount} streams)`,
    injected: faults.injected,
    records: load.records,
    books,
    settling,
    verdict,
    print: (text) => console.log(text),
  });
  printWorkerLog(logCounts);
  if (logFile) {
    writeFileSync(logFile, workers.output());
    writeFileSync(`${logFile}.turns.json`, JSON.stringify(load.records, null, 1));
  }
  console.log(passed ? "\ndrill: PASSED" : "\ndrill: FAILED");
  return passed;
}

/**
 * What the Workers logged about failures and settlements, counted by message; each error
 * logged for one of the drill's requests is kept on its record (`logged`), beside its answer.
 */
function readWorkerLog(output, records) {
  const byRequest = new Map(records.map((r) => [r.requestId, r]));
  const counts = new Map();
  for (const line of output.split("\n")) {
    if (!line.startsWith("{")) continue;
    let entry;
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    if (entry.msg === "request" || entry.msg === "reconcile" || entry.msg === "scheduled") continue;
    const key = [entry.msg, entry.status, entry.error].filter(Boolean).join(": ");
    counts.set(key, (counts.get(key) ?? 0) + 1);
    const record = byRequest.get(entry.request_id);
    if (record && entry.level === "error") record.logged = key;
  }
  return [...counts].sort((a, b) => b[1] - a[1]);
}

function printWorkerLog(counts) {
  console.log("\nWorker log (besides request and reconcile lines)");
  for (const [key, n] of counts) console.log(`  ${n} × ${key}`);
}

main()
  .then((passed) => {
    process.exitCode = passed ? 0 : 1;
  })
  .catch((error) => {
    console.error(`drill: ${error.stack ?? error}`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await stopAll();
    log(`took ${seconds(began)}`);
  });
