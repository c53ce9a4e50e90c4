/// <reference path="../types.d.ts" />
// The browser tests' world, started once: a database of their own on the suite's PostgreSQL, the
// loopback OIDC provider, the Electric stand-in, and the app twice as `npm run dev` serves it
// (the scripted demo model, which dev starts itself, answers): once with plain reads, once with
// live sync through the stand-in; and a stand-in for the datasets' source.
import type { TestProject } from "vitest/node";
import { freePort, waitForHttp } from "../../../scripts/lib/net.mjs";
import { applyMigrations, createDatabase } from "../../../scripts/lib/postgres.mjs";
import { type Running, start, waitForOutput } from "../../../scripts/lib/process.mjs";
import { startDatasetsUpstream } from "../../fixtures/datasets-upstream.mjs";
import { startOidcProvider } from "../../fixtures/oidc-provider.mjs";
import { cleanEnv } from "../../node/support";

const ELECTRIC_SECRET = "e2e-electric-secret";

async function devServer(env: Record<string, string>, running: Running[]) {
  const port: number = await freePort();
  const server = start("npm", ["run", "dev"], cleanEnv({ ...env, PORT: String(port) }));
  running.push(server);
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${base}/api/health`, {
      timeoutMs: 120_000,
      isAlive: () => server.child.exitCode === null,
    });
    const [, model = ""] = await waitForOutput(server, /scripted demo model from (http:\/\/\S+)/);
    return { base, model };
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- dev output ---\n${server.output()}`);
  }
}

export default async function setup(project: TestProject) {
  const server = process.env.TEST_POSTGRES_SERVER_URL;
  if (!server)
    throw new Error("TEST_POSTGRES_SERVER_URL is not set: run the suite with `npm test`");
  const databaseUrl = await createDatabase(server, "gradual_e2e");
  await applyMigrations(databaseUrl);
  const running: Running[] = [];
  const oidc = await startOidcProvider();
  const datasets = await startDatasetsUpstream();
  const stop = async () => {
    await Promise.all(running.map((r) => r.stop()));
    await oidc.stop();
    await datasets.stop();
  };
  try {
    const electric = start(process.execPath, ["test/fixtures/electric-stand-in.mjs"], {
      ...process.env,
      DATABASE_URL: databaseUrl,
      ELECTRIC_SECRET,
      ELECTRIC_LIVE_TIMEOUT_MS: "5000",
      PORT: "0",
    });
    running.push(electric);
    const [, electricUrl = ""] = await waitForOutput(electric, /listening on (http:\/\/\S+)/);
    const common = {
      DATABASE_URL: databaseUrl,
      OIDC_ISSUER: oidc.issuer,
      OIDC_CLIENT_ID: "gradual-e2e",
      OIDC_CLIENT_SECRET: "gradual-e2e-secret",
      OIDC_NAME: "Loopback ID",
      // Pyodide's package CDN cannot be reached from these machines: a closed port fails at once.
      PYODIDE_PACKAGES_URL: `http://127.0.0.1:${await freePort()}/pyodide/`,
      // The datasets' source on loopback, serving copies of the catalog's files.
      DATASETS_BASE_URL: `${datasets.url}/`,
    };
    // One after the other: each builds the client into the same client/dist.
    const plain = await devServer(common, running);
    const live = await devServer(
      { ...common, ELECTRIC_URL: electricUrl, ELECTRIC_SECRET },
      running,
    );
    project.provide("e2e", {
      databaseUrl,
      oidcIssuer: oidc.issuer,
      datasetsUrl: datasets.url,
      plain: { url: plain.base, modelUrl: plain.model },
      live: { url: live.base, modelUrl: live.model },
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return stop;
}
