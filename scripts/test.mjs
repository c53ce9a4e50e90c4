// `npm test`: type-check, lint, build the client, then run the whole suite against a real
// PostgreSQL (DATABASE_URL's server, or a throwaway cluster started here and stopped after).
// Arguments are passed to vitest and skip the static checks (and the client build when one
// exists): `npm test -- test/node/foo`.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./lib/local-config.mjs";
import { applyMigrations, createDatabase, startCluster } from "./lib/postgres.mjs";

const args = process.argv.slice(2);
const bin = (name) => join(ROOT, "node_modules/.bin", name);

function step(label, cmd, cmdArgs, env = process.env) {
  console.log(`\n▶ ${label}`);
  const result = spawnSync(cmd, cmdArgs, { cwd: ROOT, stdio: "inherit", env });
  if (result.status !== 0) {
    throw new Error(`${label} failed${result.signal ? ` (${result.signal})` : ""}`);
  }
}

let cluster;
function stopCluster() {
  cluster?.stop();
  cluster = undefined;
}
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    stopCluster();
    process.exit(130);
  });
}

try {
  if (!args.length) {
    step("type-check worker and runtime tests", bin("tsc"), ["--noEmit", "-p", "."]);
    step("type-check client", bin("tsc"), ["--noEmit", "-p", "client"]);
    step("type-check node tests", bin("tsc"), ["--noEmit", "-p", "test/node"]);
    step("lint and format (biome)", bin("biome"), ["check", "."]);
  }
  if (!args.length || !existsSync(join(ROOT, "client/dist/index.html"))) {
    step("build client", bin("vite"), ["build", "client", "--logLevel", "warn"]);
  }

  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    cluster = await startCluster();
    serverUrl = cluster.url;
    console.log(`\n▶ throwaway PostgreSQL on port ${cluster.port}`);
  }
  const databaseUrl = await createDatabase(serverUrl, "gradual_test");
  await applyMigrations(databaseUrl);

  step("vitest", bin("vitest"), ["run", ...args], {
    ...process.env,
    DATABASE_URL: databaseUrl,
    TEST_POSTGRES_SERVER_URL: serverUrl,
  });
} catch (error) {
  console.error(`\n✖ ${error.message}`);
  process.exitCode = 1;
} finally {
  stopCluster();
}
