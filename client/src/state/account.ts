// Who is here and what the deployment offers: written by the boot sequence and live sync.
import { computed, signal } from "@preact/signals";
import type { Me, PublicConfig, Quota, Tier } from "../api/types";

export const config = signal<PublicConfig | null>(null);
export const me = signal<Me | null>(null);
export const quota = signal<Quota | null>(null);

/** Starting up: signing in, then ready; failed says why the page cannot work. */
export const bootState = signal<
  { phase: "starting" | "ready" } | { phase: "failed"; message: string }
>({ phase: "starting" });

/** The browser's idea of the network (navigator.onLine and its events). */
export const online = signal(typeof navigator === "undefined" ? true : navigator.onLine);

/** A short message at the top of the page (signed in, files moved, …). */
export const toast = signal<string | null>(null);

const TIER_ORDER: Record<Tier, number> = { anon: 0, free: 1, pro: 2 };
export const tierAllows = (tier: Tier, needed: Tier) => TIER_ORDER[tier] >= TIER_ORDER[needed];

/** Models this account may use, in the catalog's order. */
export const allowedModels = computed(() => {
  const tier = me.value?.tier ?? "anon";
  return (config.value?.models ?? []).filter((m) => tierAllows(tier, m.min_tier));
});
