// The Hono environment every route and middleware shares: bindings plus per-request variables.
import type { AdminActor } from "./admin/access";
import type { Principal } from "./auth/principal";
import type { AppConfig } from "./config";
import type { Database } from "./db/client";
import type { Env } from "./env";

export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    /** Extra fields for this request's log line (account hash, tokens, provider…). */
    logFields: LogFields;
    /** The request's Postgres client, connected on first use and closed after the response. */
    db: () => Database;
    config: AppConfig;
    /** Set by authenticate() on routes that require a caller. */
    principal: Principal;
    /** Set by requireAdmin on /api/admin routes. */
    admin: AdminActor;
  };
}
