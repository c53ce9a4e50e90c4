// Typed, validated configuration from the Worker's variables, with the defaults a local run
// needs. Outside development a missing secret is an error, never a silent default.
import { z } from "zod";
import type { Tier } from "./db/schema";
import type { Env } from "./env";
import { AppError } from "./errors";
import { type ModelEntry, resolveModels } from "./gateway/models";
import { resolveTierLimits, type TierLimits } from "./quota/tiers";

const DEV_AUTH_SECRET = "gradual-local-development-secret-do-not-deploy";
/** jsDelivr's mirror of npm: the catalog's files are pinned npm packages' (src/datasets/). */
const DEFAULT_DATASETS_BASE_URL = "https://cdn.jsdelivr.net/npm/";

const optional = z
  .string()
  .optional()
  .transform((v) => v?.trim() || undefined);
const tokens = (fallback: number) => z.coerce.number().int().min(0).default(fallback);
const json = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (!v?.trim()) return undefined;
    try {
      return JSON.parse(v) as unknown;
    } catch {
      ctx.addIssue({ code: "custom", message: "must be JSON" });
      return z.NEVER;
    }
  });

// Joined with file names (and PYODIDE_PACKAGES_URL is published to every visitor), so a plain
// absolute http(s) base: no credentials, query or fragment, and a trailing slash (added if
// missing).
const baseUrl = z
  .string()
  .optional()
  .transform((v, ctx) => {
    const text = v?.trim();
    if (!text) return undefined;
    const url = URL.canParse(text) ? new URL(text) : null;
    if (!url || !/^https?:$/.test(url.protocol)) {
      ctx.addIssue({ code: "custom", message: "must be an absolute http(s) URL" });
      return z.NEVER;
    }
    if (url.username || url.password || url.search || url.hash) {
      ctx.addIssue({ code: "custom", message: "may not carry credentials, a query or a fragment" });
      return z.NEVER;
    }
    const base = `${url.origin}${url.pathname}`;
    return base.endsWith("/") ? base : `${base}/`;
  });

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
  TIER_LIMITS: json,
  OPENAI_API_KEY: optional,
  OPENAI_BASE_URL: optional,
  ANTHROPIC_API_KEY: optional,
  ANTHROPIC_BASE_URL: optional,
  OPENROUTER_API_KEY: optional,
  OPENROUTER_BASE_URL: optional,
  SCRIPTED_MODEL_URL: optional,
  MODELS: json,
  UPSTREAM_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
  ELECTRIC_URL: optional,
  ELECTRIC_SECRET: optional,
  ELECTRIC_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  ADMIN_EMAILS: z
    .string()
    .optional()
    .transform((v) =>
      (v ?? "")
        .split(",")
        .map((e) => e.trim().toLowerCase())
        .filter(Boolean),
    ),
  ANON_RETENTION_DAYS: z.coerce.number().int().positive().default(30),
  USAGE_RETENTION_DAYS: z.coerce.number().int().positive().default(90),
  RESERVATION_STALE_MINUTES: z.coerce.number().int().positive().default(30),
  ELECTRIC_ACCESS_CLIENT_ID: optional,
  ELECTRIC_ACCESS_CLIENT_SECRET: optional,
  PYODIDE_PACKAGES_URL: baseUrl,
  DATASETS_BASE_URL: baseUrl,
  DATASETS_MAX_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(32 * 1024 * 1024),
  DATASETS_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
});

export interface OAuthClient {
  clientId: string;
  clientSecret: string;
}

export interface ProviderEndpoint {
  apiKey: string;
  baseUrl: string;
}

export interface AppConfig {
  dev: boolean;
  auth: { secret: string; baseUrl?: string };
  google?: OAuthClient;
  github?: OAuthClient;
  oidc?: OAuthClient & { issuer: string; name: string };
  tiers: Record<Tier, TierLimits>;
  providers: {
    openai?: ProviderEndpoint;
    anthropic?: ProviderEndpoint;
    openrouter?: ProviderEndpoint;
    /** The local scripted model `npm run dev` starts when no provider key is set. */
    scripted?: ProviderEndpoint;
  };
  /** Models the configured providers can serve, each with the lowest tier allowed to use it. */
  models: ModelEntry[];
  upstreamTimeoutMs: number;
  retention: { anonDays: number; usageDays: number; staleReservationMinutes: number };
  /** Emails allowed into /admin; empty means any signed-in person in development, nobody else. */
  adminEmails: string[];
  /** Electric, reached only through the Worker; absent means live sync is unavailable. */
  electric?: {
    url: string;
    secret?: string;
    timeoutMs: number;
    /** Cloudflare Access service token, when Electric sits behind Access (terraform/). */
    access?: { clientId: string; clientSecret: string };
  };
  /**
   * Where the browser's Pyodide loads packages (numpy, pandas, matplotlib) from, ending in "/";
   * absent: the official CDN for the client's pinned Pyodide version.
   */
  pyodidePackagesUrl?: string;
  /** Where the catalog's files are fetched from (src/datasets/), and the limits on fetching. */
  datasets: {
    /** Base URL the catalog's paths are relative to, ending in "/". */
    baseUrl: string;
    /** Largest file offered or sent; larger catalog entries are not offered. */
    maxBytes: number;
    /** Wait for the source's answer, and then between any two pieces of its body. */
    timeoutMs: number;
  };
}

function client(id?: string, secret?: string): OAuthClient | undefined {
  return id && secret ? { clientId: id, clientSecret: secret } : undefined;
}

function endpoint(apiKey: string | undefined, baseUrl: string | undefined, fallback: string) {
  return apiKey ? { apiKey, baseUrl: (baseUrl ?? fallback).replace(/\/$/, "") } : undefined;
}

function misconfigured(message: string): never {
  throw new AppError("MISCONFIGURED", message);
}

function parse(env: Env): AppConfig {
  const result = schema.safeParse(env);
  if (!result.success) {
    const issue = result.error.issues[0];
    misconfigured(`${issue?.path.join(".")}: ${issue?.message}`);
  }
  const v = result.data;
  const dev = v.ENVIRONMENT === "development";
  if (!v.BETTER_AUTH_SECRET && !dev) {
    misconfigured(
      "BETTER_AUTH_SECRET must be set outside development (wrangler secret put BETTER_AUTH_SECRET)",
    );
  }
  const oidc = client(v.OIDC_CLIENT_ID, v.OIDC_CLIENT_SECRET);
  const providers: AppConfig["providers"] = {
    openai: endpoint(v.OPENAI_API_KEY, v.OPENAI_BASE_URL, "https://api.openai.com/v1"),
    anthropic: endpoint(v.ANTHROPIC_API_KEY, v.ANTHROPIC_BASE_URL, "https://api.anthropic.com"),
    openrouter: endpoint(
      v.OPENROUTER_API_KEY,
      v.OPENROUTER_BASE_URL,
      "https://openrouter.ai/api/v1",
    ),
    scripted: v.SCRIPTED_MODEL_URL
      ? { apiKey: "scripted", baseUrl: v.SCRIPTED_MODEL_URL.replace(/\/$/, "") }
      : undefined,
  };
  const tiers = resolveTierLimits(
    { anon: v.QUOTA_ANON_TOKENS, free: v.QUOTA_FREE_TOKENS, pro: v.QUOTA_PRO_TOKENS },
    v.TIER_LIMITS,
  );
  if (typeof tiers === "string") misconfigured(`TIER_LIMITS: ${tiers}`);
  const models = resolveModels(providers, v.MODELS);
  if (typeof models === "string") misconfigured(`MODELS: ${models}`);
  return {
    dev,
    auth: { secret: v.BETTER_AUTH_SECRET ?? DEV_AUTH_SECRET, baseUrl: v.BETTER_AUTH_URL },
    google: client(v.GOOGLE_CLIENT_ID, v.GOOGLE_CLIENT_SECRET),
    github: client(v.GITHUB_CLIENT_ID, v.GITHUB_CLIENT_SECRET),
    oidc:
      oidc && v.OIDC_ISSUER
        ? { ...oidc, issuer: v.OIDC_ISSUER.replace(/\/$/, ""), name: v.OIDC_NAME ?? "OIDC" }
        : undefined,
    tiers,
    providers,
    models,
    upstreamTimeoutMs: v.UPSTREAM_TIMEOUT_MS,
    adminEmails: v.ADMIN_EMAILS,
    retention: {
      anonDays: v.ANON_RETENTION_DAYS,
      usageDays: v.USAGE_RETENTION_DAYS,
      staleReservationMinutes: v.RESERVATION_STALE_MINUTES,
    },
    electric: v.ELECTRIC_URL
      ? {
          url: v.ELECTRIC_URL,
          secret: v.ELECTRIC_SECRET,
          timeoutMs: v.ELECTRIC_TIMEOUT_MS,
          access:
            v.ELECTRIC_ACCESS_CLIENT_ID && v.ELECTRIC_ACCESS_CLIENT_SECRET
              ? {
                  clientId: v.ELECTRIC_ACCESS_CLIENT_ID,
                  clientSecret: v.ELECTRIC_ACCESS_CLIENT_SECRET,
                }
              : undefined,
        }
      : undefined,
    pyodidePackagesUrl: v.PYODIDE_PACKAGES_URL,
    datasets: {
      baseUrl: v.DATASETS_BASE_URL ?? DEFAULT_DATASETS_BASE_URL,
      maxBytes: v.DATASETS_MAX_BYTES,
      timeoutMs: v.DATASETS_TIMEOUT_MS,
    },
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
