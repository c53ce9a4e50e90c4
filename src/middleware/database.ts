// Gives each request a lazily connected Postgres client and closes it once the response is
// ready. Local workerd keeps a request's sockets open after it ends, so without the close a dev
// server or test run would exhaust Postgres's connection slots.
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { connect, type Database, disconnect } from "../db/client";

export function database(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    let db: Database | undefined;
    c.set("db", () => {
      db ??= connect(c.env.HYPERDRIVE);
      return db;
    });
    try {
      await next();
    } finally {
      if (db) afterResponse(c, disconnect(db));
    }
  };
}

/** Keeps `work` alive past the response where the runtime allows it. */
export function afterResponse(c: Context, work: Promise<unknown>): void {
  try {
    c.executionCtx.waitUntil(work);
  } catch {
    // No execution context (app.request() in unit tests): the promise still runs.
  }
}
