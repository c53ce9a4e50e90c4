// Which app account a new Better Auth user gets. An anonymous visitor gets a fresh `anon`
// account. A new OAuth user created while the request carries an anonymous session takes that
// session's account over (linking, DESIGN.md case a: no rows move). Anyone else gets a fresh
// `free` account.
import type { GenericEndpointContext } from "better-auth";
import { getSessionFromCtx } from "better-auth/api";
import { provisionAccount } from "../accounts/provision";
import type { AppConfig } from "../config";
import type { Database } from "../db/client";

export async function accountForNewUser(
  db: Database,
  config: AppConfig,
  data: Record<string, unknown>,
  ctx: GenericEndpointContext | null | undefined,
): Promise<string> {
  if (data.isAnonymous === true) return provisionAccount(db, config, "anon");
  const current = ctx ? await getSessionFromCtx(ctx, { disableRefresh: true }) : null;
  const adopted = current?.user.isAnonymous ? current.user.accountId : undefined;
  if (typeof adopted === "string") return adopted;
  return provisionAccount(db, config, "free");
}
