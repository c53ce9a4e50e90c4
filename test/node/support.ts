// Helpers for Node-side tests: the suite's Postgres server, fresh databases, child processes.
import { type ChildProcess, spawn } from "node:child_process";
import postgres from "postgres";
import { createDatabase } from "../../scripts/lib/postgres.mjs";

export const ROOT = new URL("../..", import.meta.url).pathname;

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

export interface Running {
  child: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

/** Starts a command in its own process group so the whole tree can be stopped. */
export function start(cmd: string, args: string[], env: NodeJS.ProcessEnv): Running {
  const child = spawn(cmd, args, { cwd: ROOT, env, detached: true, stdio: "pipe" });
  let out = "";
  child.stdout?.on("data", (d) => {
    out += d;
  });
  child.stderr?.on("data", (d) => {
    out += d;
  });
  return {
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      if (child.pid) process.kill(-child.pid, "SIGTERM");
      const timer = setTimeout(() => child.pid && process.kill(-child.pid, "SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
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
  for (const key of ["DATABASE_URL", "TEST_POSTGRES_SERVER_URL", "PORT", "PGLITE_DIR"]) {
    delete env[key];
  }
  return { ...env, ...extra };
}
