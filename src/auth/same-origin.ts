// Writes that ride the session cookie must come from the app's own pages. SameSite=Lax keeps
// the cookie off most cross-site requests, but not off those from a sibling subdomain (same
// site, other origin) or from browsers that ignore SameSite, so the Origin is checked as well:
// the request's own, or BETTER_AUTH_URL's, the one Better Auth trusts on /api/auth/*.
//
// Hono's csrf() makes the same check but only for form and text/plain bodies, which a page can
// send cross-site without a CORS preflight; this one covers every body, so a route that ever
// reads another content type, or a CORS rule added later, cannot reopen the hole.
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { AppError } from "../errors";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

function allowedOrigin(c: Context<AppEnv>, origin: string): boolean {
  if (origin === new URL(c.req.url).origin) return true;
  const base = c.var.config.auth.baseUrl;
  return base !== undefined && URL.canParse(base) && origin === new URL(base).origin;
}

/**
 * Throws 403 CROSS_SITE for a state-changing request from another origin. A request without
 * Origin passes unless Sec-Fetch-Site says it is cross-origin: every browser sends Origin on
 * POST, PUT, PATCH and DELETE, so its absence means a client that is not a browser (curl, a
 * script), which holds the cookie itself and cannot be tricked into sending it.
 * `Sec-Fetch-Site: same-origin`, which only the browser itself can set, also passes (as in
 * Hono's csrf and Better Auth): a page under `Referrer-Policy: no-referrer` sends `Origin: null`.
 */
export function refuseCrossSite(c: Context<AppEnv>): void {
  if (SAFE_METHODS.has(c.req.method)) return;
  refuseOtherOrigins(c);
}

/**
 * A WebSocket handshake is a GET, which refuseCrossSite lets through, yet it carries the cookie
 * and opens a channel both ways that no CORS rule governs: a page on another site could read the
 * account's streams (cross-site WebSocket hijacking). Browsers send Origin on every handshake,
 * so the same check applies to it.
 */
export function refuseCrossSiteUpgrade(c: Context<AppEnv>): void {
  refuseOtherOrigins(c);
}

function refuseOtherOrigins(c: Context<AppEnv>): void {
  const origin = c.req.header("origin");
  const site = c.req.header("sec-fetch-site");
  if (site === "same-origin") return;
  const allowed = origin === undefined ? site === undefined : allowedOrigin(c, origin);
  if (!allowed) throw new AppError("CROSS_SITE");
}
