/// <reference path="../types/provided.d.ts" />
// Starts the Electric stand-in on loopback over the suite's database for the runtime tests; its
// URL and secret become the Worker's ELECTRIC_URL and ELECTRIC_SECRET (see vitest.config.ts).
// It runs in its own Node process: this project resolves packages for workerd, and the
// stand-in's Postgres driver must be the Node one.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import { ELECTRIC_TEST_SECRET } from "./constants";

const SCRIPT = fileURLToPath(new URL("../fixtures/electric-stand-in.mjs", import.meta.url));

export default async function setup(project: TestProject) {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error("DATABASE_URL is not set");
  const child = spawn(process.execPath, [SCRIPT], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      ELECTRIC_SECRET: ELECTRIC_TEST_SECRET,
      ELECTRIC_LIVE_TIMEOUT_MS: "1500",
      PORT: "0",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const match = out.match(/listening on (http:\/\/\S+)/);
      if (match?.[1]) resolve(match[1]);
    });
    child.once("exit", (code) => reject(new Error(`electric stand-in exited with ${code}`)));
  });
  project.provide("electricUrl", url);
  return () =>
    new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
}
