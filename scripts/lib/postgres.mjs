// Postgres for local runs: a throwaway cluster from the PostgreSQL binaries (tests, bench),
// an embedded PGlite served over the wire protocol (dev), and the migration runner.
import { execFile, execFileSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { ROOT } from "./local-config.mjs";
import { freePort } from "./net.mjs";

const MIGRATIONS = join(ROOT, "migrations");
const USER = "gradual";
const PASSWORD = "gradual";

/** Applies migrations/ to `url`; already-applied migrations are skipped. */
export async function applyMigrations(url) {
  const sql = postgres(url, { max: 1, connect_timeout: 10, onnotice: () => {} });
  try {
    await migrate(drizzle(sql), { migrationsFolder: MIGRATIONS });
  } catch (error) {
    throw new Error(`could not migrate ${describeUrl(url)}: ${rootCause(error)}`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** host:port/database, without credentials, for messages. */
export function describeUrl(url) {
  const { hostname, port, pathname } = new URL(url);
  return `${hostname}:${port || 5432}${pathname}`;
}

function rootCause(error) {
  let cause = error;
  while (cause?.cause) cause = cause.cause;
  return cause?.code && !String(cause.message).includes(cause.code)
    ? `${cause.code} ${cause.message}`
    : (cause?.message ?? String(cause));
}

function postgresBinDir() {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const base = "/usr/lib/postgresql";
  const versions = existsSync(base)
    ? readdirSync(base)
        .filter((v) => existsSync(join(base, v, "bin", "initdb")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions.length) throw new Error("no PostgreSQL server binaries found (set PG_BIN)");
  return join(base, versions[0], "bin");
}

/**
 * Gives `dir` to whoever the PostgreSQL tools will run as, and returns how to run them: the
 * server (and PgBouncer) refuse to run as root, so as root they run as the `postgres` user.
 * @param {string} dir
 * @returns {(binary: string, args: string[]) => [string, string[]]}
 */
export function handToPostgres(dir) {
  if (process.getuid?.() !== 0) {
    chmodSync(dir, 0o700);
    return (binary, args) => [binary, args];
  }
  execFileSync("chown", ["-R", "postgres", dir]);
  return (binary, args) => ["runuser", ["-u", "postgres", "--", binary, ...args]];
}

/**
 * Starts a PostgreSQL cluster on 127.0.0.1 with wal_level=logical; as root it belongs to the
 * `postgres` system user. Without `dir` it is throwaway (tmp, no fsync, removed on stop); with
 * `dir` it is created there once and kept (`npm run dev`).
 * `auth: "trust"` skips the password handshake, standing in for Hyperdrive's warm pool (the
 * benchmark uses it; tests keep SCRAM so the real handshake is exercised). `crashSafe` keeps
 * what was committed through crash() (the fault drill). `port` is where it listens (a free one
 * if not given).
 */
export async function startCluster({
  auth = "scram-sha-256",
  dir,
  crashSafe = false,
  port: wanted,
} = {}) {
  const bin = postgresBinDir();
  const persistent = dir !== undefined;
  const home = dir ?? mkdtempSync(join(tmpdir(), "gradual-pg-"));
  mkdirSync(home, { recursive: true });
  const data = join(home, "data");
  const asPostgres = handToPostgres(home);
  const run = (cmd, args) => execFileSync(...asPostgres(join(bin, cmd), args), { stdio: "pipe" });
  if (!existsSync(join(data, "PG_VERSION"))) {
    const pwfile = join(home, "pwfile");
    writeFileSync(pwfile, `${PASSWORD}\n`, { mode: 0o644 });
    try {
      run("initdb", ["-D", data, "-U", USER, `--auth=${auth}`, `--pwfile=${pwfile}`, "--no-sync"]);
    } finally {
      rmSync(pwfile, { force: true });
    }
  }
  const port = wanted ?? (await freePort());
  const options = [
    `-p ${port}`,
    `-k ${home}`,
    "-c listen_addresses=127.0.0.1",
    "-c wal_level=logical",
    "-c max_connections=800",
    // A throwaway cluster need not survive a crash; a kept one should. One that is crashed on
    // purpose (`crashSafe`) keeps synchronous commits: asynchronous ones are acknowledged before
    // their WAL is written, and an immediate stop loses the last of them. (Without fsync the
    // WAL still reaches the kernel, which outlives the server's processes.)
    ...(persistent ? [] : ["-c fsync=off", "-c full_page_writes=off"]),
    ...(persistent || crashSafe ? [] : ["-c synchronous_commit=off"]),
  ].join(" ");
  const startArgs = ["-D", data, "-o", options, "-l", join(home, "log"), "-w", "start"];
  run("pg_ctl", startArgs);
  // Asynchronous, unlike the rest: the drill's load must keep running while the server is away.
  const runAsync = (cmd, args) =>
    promisify(execFile)(...asPostgres(join(bin, cmd), args)).then(() => undefined);
  const url = clusterUrl(port);
  let stopped = false;
  let crashed = false;
  return {
    url,
    port,
    /**
     * Stops the server the way a crash would (`-m immediate`: no checkpoint, every connection
     * cut), keeping its data; restart() brings it back. The fault drill's outage.
     */
    async crash() {
      crashed = true;
      await runAsync("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
    },
    /** Starts the server again on the same port and data directory; resolves once it accepts. */
    async restart() {
      await runAsync("pg_ctl", startArgs);
      crashed = false;
    },
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        if (!crashed)
          run("pg_ctl", ["-D", data, "-m", persistent ? "fast" : "immediate", "-w", "stop"]);
      } finally {
        if (!persistent) rmSync(home, { recursive: true, force: true });
      }
    },
  };
}

/** The URL of `database` on a cluster startCluster() starts on `port`, known before it starts. */
export function clusterUrl(port, database = "postgres") {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

/** Whether this machine has PostgreSQL's server binaries (PG_BIN, or Debian's layout). */
export function hasPostgresBinaries() {
  try {
    postgresBinDir();
    return true;
  } catch {
    return false;
  }
}

/** Creates a fresh database on the server behind `url`; returns its URL. */
export async function createDatabase(url, name) {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await sql.unsafe(`CREATE DATABASE "${name}"`);
  } finally {
    await sql.end({ timeout: 5 });
  }
  const next = new URL(url);
  next.pathname = `/${name}`;
  return next.toString();
}

/** Embedded Postgres (PGlite) persisted in `dataDir`, served over the wire protocol. */
export async function startPglite(dataDir, port = 0) {
  const { PGlite } = await import("@electric-sql/pglite");
  const { PGLiteSocketServer } = await import("@electric-sql/pglite-socket");
  const db = await PGlite.create(dataDir);
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port, maxConnections: 200 });
  await server.start();
  const address = server.getServerConn();
  return {
    // Hyperdrive's local mode insists on a password; PGlite accepts any.
    url: `postgres://postgres:postgres@${address}/postgres`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
