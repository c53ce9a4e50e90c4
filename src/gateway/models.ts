// The model catalog: which ids exist, which provider serves each, and the lowest tier allowed.
// Only models whose provider is configured are offered. MODELS (JSON) replaces the default list.
import { z } from "zod";
import type { AppConfig } from "../config";
import type { Tier } from "../db/schema";

export const PROVIDERS = ["openai", "anthropic", "openrouter", "scripted"] as const;
export type ProviderName = (typeof PROVIDERS)[number];

export interface ModelEntry {
  id: string;
  provider: ProviderName;
  minTier: Tier;
}

const DEFAULT_MODELS: ModelEntry[] = [
  { id: "gpt-5-mini", provider: "openai", minTier: "anon" },
  { id: "gpt-5", provider: "openai", minTier: "free" },
  { id: "claude-haiku-4-5", provider: "anthropic", minTier: "anon" },
  { id: "claude-sonnet-4-5", provider: "anthropic", minTier: "free" },
  { id: "claude-opus-4-1", provider: "anthropic", minTier: "pro" },
  { id: "openai/gpt-oss-120b", provider: "openrouter", minTier: "free" },
  { id: "scripted-demo", provider: "scripted", minTier: "anon" },
];

const catalog = z.array(
  z
    .object({
      id: z.string().min(1).max(200),
      provider: z.enum(PROVIDERS),
      min_tier: z.enum(["anon", "free", "pro"]).default("free"),
    })
    .strict(),
);

/** The models the configured providers can serve, or an error message for a bad MODELS. */
export function resolveModels(
  providers: AppConfig["providers"],
  raw: unknown,
): ModelEntry[] | string {
  let entries = DEFAULT_MODELS;
  if (raw !== undefined) {
    const parsed = catalog.safeParse(raw);
    if (!parsed.success) return parsed.error.issues[0]?.message ?? "invalid";
    entries = parsed.data.map((m) => ({ id: m.id, provider: m.provider, minTier: m.min_tier }));
  }
  return entries.filter((m) => providers[m.provider] !== undefined);
}

export function findModel(config: AppConfig, id: string): ModelEntry | undefined {
  return config.models.find((m) => m.id === id);
}
