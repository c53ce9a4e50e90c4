// Better Auth, built per request over that request's database client (a shared instance can
// hang a Worker request: better-auth#969). Anonymous sign-in, Google and GitHub when their
// credentials are set, a generic OIDC provider when OIDC_ISSUER is, and account linking.
// Better Auth's minimal build (no Kysely: the Drizzle adapter does the queries) and each plugin
// from its own entry, not the plugins index: the Worker evaluates what it imports when it starts.
import { drizzleAdapter } from "better-auth/adapters/drizzle";
import { betterAuth } from "better-auth/minimal";
import { anonymous } from "better-auth/plugins/anonymous";
import { genericOAuth } from "better-auth/plugins/generic-oauth";
import type { AppConfig } from "../config";
import type { Database } from "../db/client";
import { loggableError } from "../db/errors";
import { account, session, user, verification } from "../db/schema";
import { accountForNewUser } from "./account-hooks";
import type { DatabaseWatch } from "./database-watch";
import { onLinkAccount } from "./linking";

export const OIDC_PROVIDER_ID = "oidc";

/**
 * Better Auth's log lines as JSON, like the app's own. It passes errors whole (alone or inside
 * an object), and a database error's message quotes the statement's parameters (session tokens
 * among them), so errors are reduced to what is safe to log and other values in objects, which
 * may be users' details, are left out.
 */
function logLine(level: "debug" | "info" | "warn" | "error", message: string, ...args: unknown[]) {
  const details = args.flatMap((a) => {
    if (a instanceof Error) return [loggableError(a)];
    if (typeof a !== "object" || a === null) return [a];
    return Object.values(a).flatMap((v) => (v instanceof Error ? [loggableError(v)] : []));
  });
  const line = JSON.stringify({
    level,
    msg: `auth: ${message}`,
    ...(details.length && { details }),
  });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

export interface AuthOptions {
  /**
   * Generic OAuth fetches the issuer's discovery document when the instance is built, so only
   * the sign-in routes pay for it; session checks use an instance without it.
   */
  withOidc: boolean;
  /** Sees every database call the instance makes, including the app's hooks. */
  watch: DatabaseWatch;
  /** Hears of an anonymous account merged into another by linking, once it has committed. */
  onMerged?: (from: string) => void;
}

export function createAuth(
  db: Database,
  config: AppConfig,
  origin: string,
  { withOidc, watch, onMerged }: AuthOptions,
) {
  const oidc = withOidc ? config.oidc : undefined;
  return betterAuth({
    appName: "Gradual",
    baseURL: config.auth.baseUrl ?? origin,
    basePath: "/api/auth",
    secret: config.auth.secret,
    telemetry: { enabled: false },
    logger: { log: logLine },
    // An error that is not Better Auth's own (a failed statement) is thrown on to the app's
    // handler, which logs it safely; better-call would otherwise print it whole, statement
    // parameters (key hashes, account ids) included, and answer an empty 500.
    onAPIError: { throw: true },
    database: watch.adapter(
      drizzleAdapter(db, {
        provider: "pg",
        schema: { user, session, account, verification },
      }),
    ),
    user: {
      additionalFields: {
        accountId: { type: "string", required: false, input: false },
      },
    },
    account: {
      accountLinking: {
        enabled: true,
        // Google verifies the addresses it reports. Others (GitHub, any OIDC issuer) link to an
        // existing user by email only when they say the address is verified: otherwise an
        // issuer's unverified claim to someone's address would sign in as them.
        trustedProviders: ["google"],
        // People's GitHub and Google addresses often differ; completing the provider's own
        // sign-in while signed in here is the proof of ownership.
        allowDifferentEmails: true,
      },
    },
    socialProviders: {
      ...(config.google && { google: config.google }),
      ...(config.github && { github: config.github }),
    },
    advanced: {
      cookiePrefix: "gradual",
      // Secure (and the __Secure- prefix) everywhere but local development over http.
      useSecureCookies: !config.dev,
      defaultCookieAttributes: { httpOnly: true, sameSite: "lax", secure: !config.dev },
    },
    databaseHooks: {
      user: {
        create: {
          before: async (data, ctx) => ({
            data: {
              ...data,
              accountId: await watch.watch(accountForNewUser(db, config, data, ctx)),
            },
          }),
        },
      },
    },
    plugins: [
      anonymous({
        onLinkAccount: (link) => watch.watch(onLinkAccount(db, config, link, onMerged)),
      }),
      ...(oidc
        ? [
            genericOAuth({
              config: [
                {
                  providerId: OIDC_PROVIDER_ID,
                  name: oidc.name,
                  discoveryUrl: `${oidc.issuer}/.well-known/openid-configuration`,
                  clientId: oidc.clientId,
                  clientSecret: oidc.clientSecret,
                  scopes: ["openid", "email", "profile"],
                  requireIdTokenVerification: true,
                },
              ],
            }),
          ]
        : []),
    ],
  });
}

export type Auth = ReturnType<typeof createAuth>;
