// Postgres over the Hyperdrive binding. A Worker makes a client per request, never at module
// load: it cannot reuse a socket across requests. A Durable Object may keep one for its life.
import type { SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "./schema";
import { workerSocket } from "./socket";

export type Database = PostgresJsDatabase<typeof schema> & { $client: postgres.Sql };

// postgres.js accepts a socket factory but does not declare the option in its types.
type Options = postgres.Options<Record<string, never>> & { socket?: typeof workerSocket };

export function connect(
  hyperdrive: Hyperdrive,
  {
    idleTimeoutSeconds,
    applicationName,
    connections = 5,
  }: { idleTimeoutSeconds?: number; applicationName?: string; connections?: number } = {},
): Database {
  const options: Options = {
    // Hyperdrive's guidance for postgres.js: a small pool, no type lookups, prepared statements on.
    max: connections,
    fetch_types: false,
    connect_timeout: 5,
    onnotice: () => {},
    idle_timeout: idleTimeoutSeconds,
    // postgres.js waits up to 20 s between reconnection attempts by default; the AccountAgent's
    // one connection would then stay down long after the database came back. A second at most.
    backoff: (attempt: number) => (0.5 + Math.random() / 2) * Math.min(0.1 * 2 ** attempt, 1),
    connection: applicationName ? { application_name: applicationName } : {},
    // Hyperdrive's connection string is plain TCP; a TLS URL keeps postgres.js's own socket.
    socket: /sslmode=(require|verify)/.test(hyperdrive.connectionString) ? undefined : workerSocket,
  };
  return drizzle(postgres(hyperdrive.connectionString, options), { schema });
}

/** Closes the client's sockets (and lets Postgres free the slots); never rejects. */
export function disconnect(db: Database): Promise<void> {
  return db.$client.end({ timeout: 5 }).catch(() => {});
}

const dialect = new PgDialect();

/**
 * Runs a hot-path statement as a named prepared statement. drizzle's execute() sends every
 * parameterised statement unprepared, which postgres.js runs as two round trips (describe,
 * then execute); prepared, it is one round trip on a connection that has run it before, as
 * the AccountAgent's long-lived one has.
 */
export async function executePrepared<Row extends Record<string, unknown>>(
  db: Database,
  query: SQL,
): Promise<Row[]> {
  const { sql, params } = dialect.sqlToQuery(query);
  const rows = await db.$client.unsafe(sql, params as postgres.ParameterOrJSON<never>[], {
    prepare: true,
  });
  return rows as unknown as Row[];
}
