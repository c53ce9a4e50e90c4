// The Worker's bindings and variables, as wrangler.toml and .dev.vars.example declare them.
import type { AccountAgent } from "./account-agent";

export interface Env {
  ASSETS: Fetcher;
  HYPERDRIVE: Hyperdrive;
  ACCOUNT_AGENT: DurableObjectNamespace<AccountAgent>;
  /** Anonymous sign-ins per visitor and minute (see routes/auth.ts). */
  ANON_SIGNUPS: RateLimit;
  /** Dataset downloads per account and minute (see routes/datasets.ts). */
  DATASET_DOWNLOADS: RateLimit;
  /** "development" locally; anything else is production. */
  ENVIRONMENT?: string;
}
