// Which database failures are the database being away (503, worth a retry) and which are a bug
// or bad input (500, or the route's own 4xx): Postgres's SQLSTATE classes, postgres.js's
// connection codes, and workerd's socket errors, through drizzle's wrapping.
import { DrizzleQueryError } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { databaseUnavailable, loggableError } from "../../src/db/errors";

const postgresError = (code: string, message = "server error") =>
  Object.assign(new Error(message), { code });
const wrapped = (cause: Error, params: unknown[] = []) =>
  new DrizzleQueryError("select 1 where $1", params, cause);

describe("databaseUnavailable", () => {
  it.each([
    [
      "a connection refused by workerd's socket",
      wrapped(new Error("proxy request failed, cannot connect to the specified address")),
    ],
    ["a lost socket", new Error("Network connection lost.")],
    [
      "postgres.js's connect timeout",
      wrapped(postgresError("CONNECT_TIMEOUT", "write CONNECT_TIMEOUT")),
    ],
    ["a closed connection", postgresError("CONNECTION_CLOSED")],
    ["an administrator shutdown (failover)", wrapped(postgresError("57P01"))],
    ["a server starting up", postgresError("57P03")],
    ["too many connections", postgresError("53300")],
    ["a connection failure class 08", postgresError("08006")],
  ])("is true for %s", (_, error) => {
    expect(databaseUnavailable(error)).toBe(true);
  });

  it.each([
    ["a unique violation", wrapped(postgresError("23505"))],
    ["an unknown column (a deploy out of order)", wrapped(postgresError("42703"))],
    ["postgres.js refusing an undefined value (a bug)", wrapped(postgresError("UNDEFINED_VALUE"))],
    [
      "a parameter that merely says 'connection refused'",
      wrapped(new TypeError("bad"), ["connection refused"]),
    ],
    ["an error from elsewhere", new Error("something else")],
  ])("is false for %s", (_, error) => {
    expect(databaseUnavailable(error)).toBe(false);
  });

  it("logs a wrapped error by its SQLSTATE, never by drizzle's message with the parameters", () => {
    const error = wrapped(
      Object.assign(postgresError("23505"), { constraint_name: "user_email_unique" }),
      ["secret-token"],
    );
    expect(loggableError(error)).toBe("postgres error 23505 (user_email_unique)");
    expect(loggableError(wrapped(new TypeError("x"), ["secret-token"]))).toBe("x");
  });
});
