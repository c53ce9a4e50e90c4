// Loads and validates configuration once per isolate; a misconfigured Worker answers every
// request with a clear 500 instead of running half-configured.
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { loadConfig } from "../config";

export function configure(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set("config", loadConfig(c.env));
    await next();
  };
}
