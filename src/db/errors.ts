// Postgres errors by SQLSTATE, seen through drizzle's wrapping (its error's `cause`).
import { DrizzleQueryError } from "drizzle-orm";

/** The SQLSTATE of a Postgres error, or undefined for anything else. */
export function sqlState(error: unknown): string | undefined {
  for (let e = error; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

export const FOREIGN_KEY_VIOLATION = "23503";
export const DEADLOCK_DETECTED = "40P01";
/** Text Postgres cannot hold: U+0000, or bytes that are not valid UTF-8. */
export const UNSTORABLE_TEXT = new Set(["22021", "22P05"]);

/**
 * An error as a log line may carry it. drizzle's wrapper puts the statement's parameters (a
 * session token, a key hash, a person's text) in its message and stack, and Postgres quotes
 * input values in some messages, so a database error is told by its SQLSTATE and constraint.
 */
export function loggableError(error: unknown): string {
  let cause = error;
  while (cause instanceof DrizzleQueryError && cause.cause) cause = cause.cause;
  const state = sqlState(cause);
  if (state) {
    const constraint = (cause as { constraint_name?: unknown }).constraint_name;
    return `postgres error ${state}${typeof constraint === "string" ? ` (${constraint})` : ""}`;
  }
  if (!(cause instanceof Error)) return String(cause);
  return cause instanceof DrizzleQueryError ? "database query failed" : cause.message;
}

/** Whether the error came from the database: its message and stack may quote parameters. */
export function fromDatabase(error: unknown): boolean {
  return error instanceof DrizzleQueryError || sqlState(error) !== undefined;
}

/** postgres.js's own codes for a connection that failed or went away. */
const CONNECTION_LOST = new Set([
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
]);
/**
 * A socket workerd could not open or lost: these errors carry no code. A plain socket that
 * cannot connect says "cannot connect"; one through the Hyperdrive binding, to a database that
 * is down, says "connection attempt failed".
 */
const SOCKET_FAILURE =
  /network connection lost|cannot connect|connection attempt failed|connection refused|ECONNRESET/i;

/**
 * Whether the database could not be reached or is refusing work (down, restarting, failing
 * over, out of connections): worth a 503 and a retry, where anything else is a bug or bad input.
 */
export function databaseUnavailable(error: unknown): boolean {
  const state = sqlState(error);
  if (state) return state.startsWith("08") || state.startsWith("53") || state.startsWith("57P");
  for (let e = error; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && CONNECTION_LOST.has(code)) return true;
    // drizzle's own message quotes parameters, which could say anything.
    if (!(e instanceof DrizzleQueryError) && SOCKET_FAILURE.test(e.message)) return true;
  }
  return false;
}
