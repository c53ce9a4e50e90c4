// The Worker in workerd through Miniflare, with nothing in front of it: the bundle wrangler
// would deploy, the bindings wrangler.toml declares (read by wrangler itself), a local
// Postgres behind the Hyperdrive binding. The bench measures the app this way because
// wrangler dev's Node proxy, and Miniflare's own entry worker, cost more per request than the
// gateway being measured; production has neither.
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { build } from "vite";
import { ROOT } from "./local-config.mjs";
import { start, waitForOutput } from "./process.mjs";

const BUNDLE_DIR = join(ROOT, ".wrangler/bundle");
// wrangler ships the Miniflare it runs; use that one, so options read from wrangler.toml match.
const fromWrangler = createRequire(join(ROOT, "node_modules/wrangler/package.json"));

/**
 * Starts the Worker; `vars` are its variables, `inspectorPort` opens workerd to DevTools (for a
 * CPU profile). Returns its URL and a stop function.
 */
export async function startWorkerd({ databaseUrl, vars, onLog = () => {}, inspectorPort }) {
  // wrangler's bundle step reads the assets directory, so the client is built first.
  await build({ configFile: join(ROOT, "client/vite.config.ts"), logLevel: "warn" });
  execFileSync(
    join(ROOT, "node_modules/.bin/wrangler"),
    ["deploy", "--dry-run", "--outdir", BUNDLE_DIR],
    { cwd: ROOT, stdio: "ignore", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
  );
  process.env.CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE = databaseUrl;
  const wrangler = await import(join(ROOT, "node_modules/wrangler/wrangler-dist/cli.js"));
  const { workerOptions } = wrangler.unstable_getMiniflareWorkerOptions(
    join(ROOT, "wrangler.toml"),
  );
  // Static assets and module rules belong to the unbundled source; the bundle needs neither.
  const { assets, modulesRules, ...options } = workerOptions;
  return serve(
    {
      ...options,
      name: "gradual",
      modules: true,
      rootPath: BUNDLE_DIR,
      modulesRoot: BUNDLE_DIR,
      scriptPath: join(BUNDLE_DIR, "index.js"),
      bindings: { ...options.bindings, ...vars },
    },
    { inspectorPort, handleStructuredLogs: onLog },
  );
}

/**
 * The floors the app is measured against, in the same workerd set-up. At `/…` a Worker that only
 * passes each request through to `upstream`: what any Worker in front of the model costs here.
 * At `/relay/…` the same Worker hands the request to a Durable Object that reads each upstream
 * chunk in JavaScript and passes it on: the least a gateway of this design (one object per
 * account, which must see every chunk to meter it) does per request and per chunk.
 */
export function startPassThrough(upstream) {
  return serve({
    name: "pass-through",
    modules: true,
    compatibilityDate: "2026-11-01",
    script: `export class Relay {
      constructor(state, env) { this.env = env; }
      async fetch(request) {
        const url = new URL(request.url);
        const answer = await fetch(this.env.UPSTREAM + url.pathname + url.search, request);
        const reader = answer.body.getReader();
        const body = new ReadableStream({
          async pull(controller) {
            const { done, value } = await reader.read();
            if (done) controller.close();
            else controller.enqueue(value);
          },
          cancel: (reason) => reader.cancel(reason),
        }, { highWaterMark: 1 });
        return new Response(body, { status: answer.status, headers: answer.headers });
      }
    }
    export default {
      fetch(request, env) {
        const url = new URL(request.url);
        if (!url.pathname.startsWith("/relay/"))
          return fetch(env.UPSTREAM + url.pathname + url.search, request);
        const relay = env.RELAY.get(env.RELAY.idFromName("bench"));
        return relay.fetch(new Request("https://relay" + url.pathname.slice(6) + url.search, request));
      },
    };`,
    bindings: { UPSTREAM: upstream },
    durableObjects: { RELAY: "Relay" },
  });
}

/** Runs one Worker in Miniflare with a socket straight into it; returns its URL and a stop. */
async function serve(worker, shared = {}) {
  const { Miniflare, convertV4MiniflareOptions } = fromWrangler("miniflare");
  const miniflare = new Miniflare(
    convertV4MiniflareOptions({
      // Miniflare's own entry socket is unused; a free port keeps it off 8787.
      host: "127.0.0.1",
      port: 0,
      ...shared,
      // A socket straight into the Worker, past Miniflare's entry worker.
      workers: [{ ...worker, unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }] }],
    }),
  );
  await miniflare.ready;
  const url = await miniflare.unsafeGetDirectURL(worker.name);
  return { url: url.href.replace(/\/$/, ""), stop: () => miniflare.dispose() };
}

/**
 * The app and the floors (startPassThrough) in front of `upstream`, started in a child process
 * (see workerd-host.mjs); returns their URLs, the child's pid and a stop function.
 */
export async function startWorkersApart({ databaseUrl, vars, upstream, inspectorPort }) {
  const host = start(
    process.execPath,
    [
      join(ROOT, "scripts/lib/workerd-host.mjs"),
      JSON.stringify({ databaseUrl, vars, upstream, inspectorPort }),
    ],
    process.env,
  );
  const [, urls] = await waitForOutput(host, /^ready (.*)$/m, { timeoutMs: 180_000 }).catch(
    async (error) => {
      await host.stop();
      throw error;
    },
  );
  return { ...JSON.parse(urls), pid: host.child.pid, stop: host.stop };
}
