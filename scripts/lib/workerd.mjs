// The Worker in workerd through Miniflare, with nothing in front of it: the bundle wrangler
// would deploy, the bindings wrangler.toml declares (read by wrangler itself), a local
// Postgres behind the Hyperdrive binding. The bench (and the fault drill) runs the app this way
// because wrangler dev's Node proxy, and Miniflare's own entry worker, cost more per request
// than the gateway being measured; production has neither.
import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { buildClient } from "./client-build.mjs";
import { ROOT } from "./local-config.mjs";
import { start, waitForOutput } from "./process.mjs";

const BUNDLE_DIR = join(ROOT, ".wrangler/bundle");
// wrangler ships the Miniflare it runs; use that one, so options read from wrangler.toml match.
const fromWrangler = createRequire(join(ROOT, "node_modules/wrangler/package.json"));

/**
 * Starts the Worker; `vars` are its variables, `inspectorPort` opens workerd to DevTools (for a
 * CPU profile). `reuseClient` keeps an existing client build (the fault drill never loads the
 * page); otherwise the client is built first; `reuseBundle` keeps the Worker's last bundle
 * (in `bundleDir`: one of its own for a caller that may run beside another).
 * `besides` are more Workers for the same workerd (the drill's fault injector), each with a
 * socket of its own; `triggerHandlers` lets Miniflare's entry socket fire the cron
 * (`/cdn-cgi/local/scheduled`). `coldStart` evaluates the Worker's global scope on its first
 * request, as Cloudflare does, rather than when workerd starts (see COLD_ENTRY); `withAssets`
 * gives it the ASSETS binding over the client build (for /admin). `root` is the checkout whose
 * Worker runs (the bench's baseline is another commit's, in a folder of its own). Returns the
 * Worker's URL, the entry's, the others' by name and a stop function.
 */
export async function startWorkerd({
  databaseUrl,
  vars,
  onLog = () => {},
  inspectorPort = undefined,
  reuseClient = false,
  reuseBundle = false,
  besides = [],
  triggerHandlers = false,
  coldStart = false,
  withAssets = false,
  bundleDir = BUNDLE_DIR,
  root = ROOT,
}) {
  // wrangler's bundle step reads the assets directory, so the client is built first; staged,
  // so a dev server serving client/dist meanwhile is not left without its files.
  if (!reuseClient || !existsSync(join(ROOT, "client/dist/index.html"))) await buildClient();
  if (!reuseBundle || !existsSync(join(bundleDir, "index.js"))) bundleWorker(bundleDir, root);
  process.env.CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE = databaseUrl;
  const wrangler = await import(join(ROOT, "node_modules/wrangler/wrangler-dist/cli.js"));
  const { workerOptions } = wrangler.unstable_getMiniflareWorkerOptions(
    join(root, "wrangler.toml"),
  );
  // Module rules belong to the unbundled source; the bundle needs none. Static assets only
  // where the caller asks (the gateway never serves them).
  const { assets, modulesRules, ...options } = workerOptions;
  if (withAssets) options.assets = assets;
  let script = { modules: true, scriptPath: join(bundleDir, "index.js") };
  if (coldStart) {
    const entry = join(bundleDir, "cold-entry.mjs");
    writeFileSync(entry, COLD_ENTRY);
    script = {
      modules: [
        { type: "ESModule", path: entry },
        { type: "ESModule", path: join(bundleDir, "index.js") },
      ],
    };
  }
  return serve(
    {
      ...options,
      name: "gradual",
      ...script,
      rootPath: bundleDir,
      modulesRoot: bundleDir,
      bindings: { ...options.bindings, ...vars },
    },
    { inspectorPort, handleStructuredLogs: onLog, unsafeTriggerHandlers: triggerHandlers },
    besides,
  );
}

/** The Worker of the checkout at `root` as `wrangler deploy` would upload it, into `dir`. */
function bundleWorker(dir, root) {
  try {
    execFileSync(
      join(ROOT, "node_modules/.bin/wrangler"),
      ["deploy", "--dry-run", "--outdir", dir],
      { cwd: root, stdio: "pipe", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
    );
  } catch (error) {
    // Quiet when it works; when it does not, what wrangler said is the reason.
    throw new Error(`wrangler could not bundle the Worker:\n${error.stdout}${error.stderr}`);
  }
}

/**
 * The entry of a cold-started Worker. workerd evaluates a Worker's global scope when it starts,
 * Cloudflare when a request (or its TLS handshake) first reaches a location: this entry imports
 * the bundle on the first request, so that request pays the start as it would there (the way
 * `wrangler check startup` profiles it). The Durable Object class hands over to the real one
 * once loaded.
 */
const COLD_ENTRY = `let loading;
const app = () => (loading ??= import("./index.js"));
export default {
  async fetch(request, env, ctx) { return (await app()).default.fetch(request, env, ctx); },
  async scheduled(controller, env, ctx) { return (await app()).default.scheduled(controller, env, ctx); },
};
export class AccountAgent {
  constructor(ctx, env) { this.agent = app().then((m) => new m.AccountAgent(ctx, env)); }
  async fetch(request) { return (await this.agent).fetch(request); }
  async alarm(info) { return (await this.agent).alarm(info); }
}
`;

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

/**
 * Runs a Worker in Miniflare with a socket straight into it, and `besides` beside it, each with
 * its own; returns the Worker's URL, the entry's, the others' (`urls`, by name) and a stop.
 */
async function serve(worker, shared = {}, besides = []) {
  const { Miniflare, convertV4MiniflareOptions } = fromWrangler("miniflare");
  const direct = [{ host: "127.0.0.1", port: 0 }];
  const miniflare = new Miniflare(
    convertV4MiniflareOptions({
      // Miniflare's own entry socket is unused (but for the cron); a free port keeps it off 8787.
      host: "127.0.0.1",
      port: 0,
      ...shared,
      // A socket straight into each Worker, past Miniflare's entry worker.
      workers: [worker, ...besides].map((w) => ({ ...w, unsafeDirectSockets: direct })),
    }),
  );
  const entry = await miniflare.ready;
  const urlOf = async (name) => (await miniflare.unsafeGetDirectURL(name)).href.replace(/\/$/, "");
  const urls = {};
  for (const w of besides) urls[w.name] = await urlOf(w.name);
  return {
    url: await urlOf(worker.name),
    entry: entry.href.replace(/\/$/, ""),
    urls,
    stop: () => miniflare.dispose(),
  };
}

/**
 * The app, and with `upstream` the floors in front of it (startPassThrough), started in a child
 * process (see workerd-host.mjs); with `floorsOnly` the floors alone (the bench keeps them apart
 * from the app, so that each process's CPU is one path's). The other options are startWorkerd's,
 * and `printLogs` has the child print the Workers' log lines (read them with `output()`).
 * Returns the URLs, the child's pid, its output so far and a stop function.
 */
export async function startWorkersApart(options) {
  const host = start(
    process.execPath,
    [join(ROOT, "scripts/lib/workerd-host.mjs"), JSON.stringify(options)],
    process.env,
  );
  const [, urls] = await waitForOutput(host, /^ready (.*)$/m, { timeoutMs: 180_000 }).catch(
    async (error) => {
      await host.stop();
      throw error;
    },
  );
  return { ...JSON.parse(urls), pid: host.child.pid, output: host.output, stop: host.stop };
}
