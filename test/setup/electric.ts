/// <reference path="../types/provided.d.ts" />
// Starts the Electric stand-in on loopback over the suite's database for the runtime tests; its
// URL and secret become the Worker's ELECTRIC_URL and ELECTRIC_SECRET (see vitest.config.ts).
// A second one holds live requests open for longer than any test runs, so a test that needs a
// live stream still open ends it itself (`/__stand-in/expire`), whatever the time it took.
// They run in their own Node processes: this project resolves packages for workerd, and the
// stand-in's Postgres driver must be the Node one.
import type { TestProject } from "vitest/node";
import { start, waitForOutput } from "../../scripts/lib/process.mjs";
import { ELECTRIC_TEST_SECRET } from "./constants";

/** A stand-in whose live requests are held `liveTimeoutMs` at most: its URL, and its stop. */
async function standIn(liveTimeoutMs: number) {
  const running = start(process.execPath, ["test/fixtures/electric-stand-in.mjs"], {
    ...process.env,
    ELECTRIC_SECRET: ELECTRIC_TEST_SECRET,
    ELECTRIC_LIVE_TIMEOUT_MS: String(liveTimeoutMs),
    PORT: "0",
  });
  try {
    const [, url = ""] = await waitForOutput(running, /listening on (http:\/\/\S+)/);
    return { url, stop: running.stop };
  } catch (error) {
    await running.stop();
    throw error;
  }
}

export default async function setup(project: TestProject) {
  if (!process.env.DATABASE_URL) throw new Error("DATABASE_URL is not set");
  const standard = await standIn(1_500);
  const held = await standIn(120_000).catch(async (error: unknown) => {
    await standard.stop();
    throw error;
  });
  project.provide("electricUrl", standard.url);
  project.provide("electricHeldUrl", held.url);
  return async () => {
    await Promise.all([standard.stop(), held.stop()]);
  };
}
