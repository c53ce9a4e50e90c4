// PgBouncer in front of the benchmark's Postgres, standing in for Hyperdrive's pool: locally
// every Worker request opens a fresh connection, and without a pooler each one forks a Postgres
// backend, which production never pays. Session pooling keeps postgres.js's prepared
// statements working. Optional: the benchmark says when it runs without it.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitForTcp } from "./net.mjs";
import { handToPostgres } from "./postgres.mjs";

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
  const [cmd, args] = handToPostgres(dir)(BINARY, [join(dir, "pgbouncer.ini")]);
  const child = spawn(cmd, args, { stdio: "ignore" });
  const isAlive = () => child.exitCode === null && child.signalCode === null;
  await waitForTcp(port, { timeoutMs: 10_000, isAlive }).catch((error) => {
    child.kill("SIGTERM");
    throw new Error(`pgbouncer did not start (see ${dir}/pgbouncer.log): ${error.message}`);
  });
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
