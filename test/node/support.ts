// Helpers for Node-side tests: the suite's Postgres server, fresh databases, child processes.
import postgres from "postgres";
import { createDatabase } from "../../scripts/lib/postgres.mjs";
import { start } from "../../scripts/lib/process.mjs";

export { type Running, start } from "../../scripts/lib/process.mjs";

/** The PostgreSQL server the suite runs against (scripts/test.mjs sets it). */
export function serverUrl(): string {
  const url = process.env.TEST_POSTGRES_SERVER_URL;
  if (!url) throw new Error("TEST_POSTGRES_SERVER_URL is not set: run with `npm test`");
  return url;
}

/** A new, empty database on the suite's server. */
export async function freshDatabase(prefix: string): Promise<string> {
  const name = `${prefix}_${process.pid}_${Date.now()}`;
  return createDatabase(serverUrl(), name);
}

export function sqlClient(url: string) {
  return postgres(url, { max: 2, onnotice: () => {} });
}

/** Runs a command to completion and returns its exit code and output. */
export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number | null; output: string }>((resolve) => {
    const running = start(cmd, args, env);
    running.child.on("exit", (code) => resolve({ code, output: running.output() }));
  });
}

/** The environment a newcomer's shell would have: no DATABASE_URL, nothing project-specific. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of [
    "DATABASE_URL",
    "TEST_POSTGRES_SERVER_URL",
    "PORT",
    "PG_DIR",
    "PGLITE_DIR",
    "DEV_DATABASE",
    // A provider key set on the machine would turn the scripted demo off.
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "OPENROUTER_API_KEY",
  ]) {
    delete env[key];
  }
  return { ...env, ...extra };
}
