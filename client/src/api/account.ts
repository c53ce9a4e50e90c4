// Who the visitor is, what the deployment offers, and signing in and out (Better Auth's routes).
import { api } from "./http";
import type { Me, PublicConfig, Quota } from "./types";

export const getConfig = () => api<PublicConfig>("/api/config");
export const getMe = () => api<Me>("/api/me");
export const getQuota = () => api<Quota>("/api/quota");

export const signInAnonymously = () =>
  api<unknown>("/api/auth/sign-in/anonymous", { method: "POST", body: {} });

export type Provider = "google" | "github" | "oidc";

/**
 * Starts a provider's sign-in; the browser leaves for the provider and comes back to
 * `returnTo`. While anonymous this links the identity to the current account.
 */
export async function startSignIn(provider: Provider, returnTo: string): Promise<string> {
  const { url } = await api<{ url: string }>("/api/auth/sign-in/social", {
    method: "POST",
    body: { provider, callbackURL: returnTo, errorCallbackURL: "/?sign_in_failed=1" },
  });
  return url;
}

export const signOut = () => api<unknown>("/api/auth/sign-out", { method: "POST", body: {} });
