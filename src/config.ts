// Typed, validated configuration from the Worker's variables, with the defaults a local run
// needs. Outside development a missing secret is an error, never a silent default.
import { z } from "zod";
import type { Env } from "./env";
import { AppError } from "./errors";

const DEV_AUTH_SECRET = "gradual-local-development-secret-do-not-deploy";

const optional = z
  .string()
  .optional()
  .transform((v) => v?.trim() || undefined);
const tokens = (fallback: number) => z.coerce.number().int().min(0).default(fallback);

const schema = z.object({
  ENVIRONMENT: z.string().default("production"),
  BETTER_AUTH_SECRET: optional,
  BETTER_AUTH_URL: optional,
  GOOGLE_CLIENT_ID: optional,
  GOOGLE_CLIENT_SECRET: optional,
  GITHUB_CLIENT_ID: optional,
  GITHUB_CLIENT_SECRET: optional,
  OIDC_ISSUER: optional,
  OIDC_CLIENT_ID: optional,
  OIDC_CLIENT_SECRET: optional,
  OIDC_NAME: optional,
  QUOTA_ANON_TOKENS: tokens(20_000),
  QUOTA_FREE_TOKENS: tokens(200_000),
  QUOTA_PRO_TOKENS: tokens(2_000_000),
});

export interface OAuthClient {
  clientId: string;
  clientSecret: string;
}

export interface AppConfig {
  dev: boolean;
  auth: { secret: string; baseUrl?: string };
  google?: OAuthClient;
  github?: OAuthClient;
  oidc?: OAuthClient & { issuer: string; name: string };
  quota: { anon: number; free: number; pro: number };
}

function client(id?: string, secret?: string): OAuthClient | undefined {
  return id && secret ? { clientId: id, clientSecret: secret } : undefined;
}

function parse(env: Env): AppConfig {
  const result = schema.safeParse(env);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new AppError("MISCONFIGURED", `${issue?.path.join(".")}: ${issue?.message}`);
  }
  const v = result.data;
  const dev = v.ENVIRONMENT === "development";
  if (!v.BETTER_AUTH_SECRET && !dev) {
    throw new AppError(
      "MISCONFIGURED",
      "BETTER_AUTH_SECRET must be set outside development (wrangler secret put BETTER_AUTH_SECRET)",
    );
  }
  const oidc = client(v.OIDC_CLIENT_ID, v.OIDC_CLIENT_SECRET);
  return {
    dev,
    auth: { secret: v.BETTER_AUTH_SECRET ?? DEV_AUTH_SECRET, baseUrl: v.BETTER_AUTH_URL },
    google: client(v.GOOGLE_CLIENT_ID, v.GOOGLE_CLIENT_SECRET),
    github: client(v.GITHUB_CLIENT_ID, v.GITHUB_CLIENT_SECRET),
    oidc:
      oidc && v.OIDC_ISSUER
        ? { ...oidc, issuer: v.OIDC_ISSUER.replace(/\/$/, ""), name: v.OIDC_NAME ?? "OIDC" }
        : undefined,
    quota: { anon: v.QUOTA_ANON_TOKENS, free: v.QUOTA_FREE_TOKENS, pro: v.QUOTA_PRO_TOKENS },
  };
}

// The env object is the same for every request an isolate serves: parse it once.
const cache = new WeakMap<Env, AppConfig>();

export function loadConfig(env: Env): AppConfig {
  let config = cache.get(env);
  if (!config) {
    config = parse(env);
    cache.set(env, config);
  }
  return config;
}
