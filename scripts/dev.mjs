// `npm run dev`: builds the client, makes sure Postgres is there (DATABASE_URL; else a local
// PostgreSQL cluster kept in .data/postgres when the machine has the server binaries, else an
// embedded PGlite kept in .data/pglite), applies migrations, then runs `wrangler dev` on PORT.
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { buildClient } from "./lib/client-build.mjs";
import { loadLocalConfig, ROOT, SCRIPT_ONLY, toEnvFile } from "./lib/local-config.mjs";
import {
  applyMigrations,
  hasPostgresBinaries,
  startCluster,
  startPglite,
} from "./lib/postgres.mjs";
import { startScriptedModel } from "./scripted-model/server.mjs";

// DEV_STACK=compose: use the Postgres and Electric that compose.yaml runs.
const COMPOSE = {
  DATABASE_URL: "postgres://gradual:gradual@127.0.0.1:54321/gradual",
  ELECTRIC_URL: "http://127.0.0.1:3000",
  ELECTRIC_SECRET: "local-compose-electric-secret",
};
const local = loadLocalConfig();
const config = { ...(local.DEV_STACK === "compose" ? COMPOSE : {}), ...local };
const port = config.PORT ?? "8787";
const host = config.HOST ?? "127.0.0.1";
const cleanups = [];

async function main() {
  await buildClient();

  let databaseUrl = config.DATABASE_URL;
  // PGlite answers one statement at a time, and breaks down when the page's requests overlap:
  // a real server whenever there is one.
  if (!databaseUrl && config.DEV_DATABASE !== "pglite" && hasPostgresBinaries()) {
    const dir = resolve(ROOT, config.PG_DIR ?? ".data/postgres");
    const cluster = await startCluster({ dir });
    cleanups.push(async () => cluster.stop());
    databaseUrl = cluster.url;
    console.log(`dev: local PostgreSQL in ${dir}`);
  }
  if (!databaseUrl) {
    const dir = resolve(ROOT, config.PGLITE_DIR ?? ".data/pglite");
    mkdirSync(dir, { recursive: true });
    const pglite = await startPglite(dir);
    cleanups.push(() => pglite.stop());
    databaseUrl = pglite.url;
    console.log(`dev: embedded Postgres (PGlite) in ${dir}`);
  }
  await applyMigrations(databaseUrl);

  // The Worker's variables: everything documented except what only these scripts use.
  const vars = { ENVIRONMENT: "development" };
  const hasModel = [
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "OPENROUTER_API_KEY",
    "SCRIPTED_MODEL_URL",
  ].some((key) => config[key]);
  if (!hasModel) {
    // At about a real model's pace, so the demo shows answers streaming in.
    const model = await startScriptedModel({
      demoPace: { first_token_delay_ms: 300, chunk_delay_ms: 12 },
    });
    cleanups.push(() => model.stop());
    vars.SCRIPTED_MODEL_URL = `${model.url}/v1`;
    console.log(`dev: no provider key set; serving the scripted demo model from ${model.url}`);
  }
  for (const [key, value] of Object.entries(config)) {
    if (!SCRIPT_ONLY.has(key)) vars[key] = value;
  }
  mkdirSync(join(ROOT, ".wrangler"), { recursive: true });
  const envFile = join(ROOT, ".wrangler/dev.env");
  writeFileSync(envFile, toEnvFile(vars), { mode: 0o600 });
  chmodSync(envFile, 0o600);

  const wrangler = spawn(
    join(ROOT, "node_modules/.bin/wrangler"),
    [
      "dev",
      "--port",
      port,
      "--ip",
      host,
      "--env-file",
      envFile,
      "--show-interactive-dev-session=false",
    ],
    {
      cwd: ROOT,
      stdio: "inherit",
      env: {
        ...process.env,
        CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: databaseUrl,
        WRANGLER_SEND_METRICS: "false",
      },
    },
  );
  const stop = (signal) => wrangler.kill(signal);
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  const code = await new Promise((done) => wrangler.on("exit", (c) => done(c ?? 0)));
  await shutdown();
  process.exit(code);
}

async function shutdown() {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
}

main().catch(async (error) => {
  console.error(`dev: ${error.message ?? error}`);
  await shutdown();
  process.exit(1);
});
