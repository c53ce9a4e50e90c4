// The Python worker's script, from the static assets, with the policy its context runs under: a
// dedicated worker takes its Content-Security-Policy from its own script's response, and this one
// may reach the app's origin and the package CDN the deployment configured, nothing else (so
// code a person runs cannot send their files anywhere but here). It keeps cross-origin isolation.
import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { packagesUrl } from "../lib/pyodide";

export const WORKER_SCRIPT_PATH = "/assets/python-worker-*";

export const pythonWorker = new Hono<AppEnv>().get(WORKER_SCRIPT_PATH, async (c) => {
  const asset = await c.env.ASSETS.fetch(c.req.raw);
  if (!asset.ok) return asset;
  const headers = new Headers(asset.headers);
  const cdn = new URL(packagesUrl(c.var.config)).origin;
  headers.set(
    "content-security-policy",
    `default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self' ${cdn}`,
  );
  headers.set("cross-origin-embedder-policy", "require-corp");
  headers.set("cross-origin-opener-policy", "same-origin");
  headers.set("x-content-type-options", "nosniff");
  headers.set("cache-control", "public, max-age=31536000, immutable");
  return new Response(asset.body, { status: asset.status, headers });
});
