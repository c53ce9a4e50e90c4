// PgBouncer in front of the benchmark's Postgres, standing in for Hyperdrive's pool: locally
// every Worker request opens a fresh connection, and without a pooler each one forks a Postgres
// backend, which production never pays. Session pooling keeps postgres.js's prepared
// statements working. Optional: the benchmark says when it runs without it.
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./net.mjs";

const BINARY = process.env.PGBOUNCER ?? "/usr/sbin/pgbouncer";

export function hasPgBouncer() {
  return existsSync(BINARY);
}

/** Starts PgBouncer for the database behind `url`; returns the pooled URL. */
export async function startPgBouncer(url) {
  const target = new URL(url);
  const database = target.pathname.slice(1);
  const dir = mkdtempSync(join(tmpdir(), "gradual-pgbouncer-"));
  const port = await freePort();
  writeFileSync(
    join(dir, "users.txt"),
    `"${target.username}" "${decodeURIComponent(target.password)}"\n`,
  );
  writeFileSync(
    join(dir, "pgbouncer.ini"),
    [
      "[databases]",
      `${database} = host=${target.hostname} port=${target.port} dbname=${database}`,
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${port}`,
      "unix_socket_dir =",
      "auth_type = trust",
      `auth_file = ${join(dir, "users.txt")}`,
      "pool_mode = session",
      "max_client_conn = 5000",
      "default_pool_size = 200",
      `logfile = ${join(dir, "pgbouncer.log")}`,
      "",
    ].join("\n"),
  );
  const asRoot = process.getuid?.() === 0;
  if (asRoot) execFileSync("chown", ["-R", "postgres", dir]);
  else chmodSync(dir, 0o700);
  const args = [join(dir, "pgbouncer.ini")];
  const child = asRoot
    ? spawn("runuser", ["-u", "postgres", "--", BINARY, ...args], { stdio: "ignore" })
    : spawn(BINARY, args, { stdio: "ignore" });
  await new Promise((resolve) => setTimeout(resolve, 300));
  if (child.exitCode !== null) throw new Error(`pgbouncer exited (see ${dir}/pgbouncer.log)`);
  const pooled = new URL(url);
  pooled.port = String(port);
  return {
    url: pooled.toString(),
    stop() {
      child.kill("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
