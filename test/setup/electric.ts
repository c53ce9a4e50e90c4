/// <reference path="../types/provided.d.ts" />
// Starts the Electric stand-in on loopback over the suite's database for the runtime tests; its
// URL and secret become the Worker's ELECTRIC_URL and ELECTRIC_SECRET (see vitest.config.ts).
// It runs in its own Node process: this project resolves packages for workerd, and the
// stand-in's Postgres driver must be the Node one.
import type { TestProject } from "vitest/node";
import { start, waitForOutput } from "../../scripts/lib/process.mjs";
import { ELECTRIC_TEST_SECRET } from "./constants";

export default async function setup(project: TestProject) {
  if (!process.env.DATABASE_URL) throw new Error("DATABASE_URL is not set");
  const standIn = start(process.execPath, ["test/fixtures/electric-stand-in.mjs"], {
    ...process.env,
    ELECTRIC_SECRET: ELECTRIC_TEST_SECRET,
    ELECTRIC_LIVE_TIMEOUT_MS: "1500",
    PORT: "0",
  });
  try {
    const [, url = ""] = await waitForOutput(standIn, /listening on (http:\/\/\S+)/);
    project.provide("electricUrl", url);
  } catch (error) {
    await standIn.stop();
    throw error;
  }
  return () => standIn.stop();
}
