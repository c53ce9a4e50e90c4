// The anonymous plugin's onLinkAccount: runs after the OAuth callback signed the person in and
// before Better Auth deletes the anonymous user, so app data is settled here.
import { mergeAccounts, upgradeOnLink } from "../accounts/link";
import type { AppConfig } from "../config";
import type { Database } from "../db/client";

interface LinkedUsers {
  anonymousUser: { user: Record<string, unknown> };
  newUser: { user: Record<string, unknown> };
}

/** `merged` hears of a merge once it has committed (the anonymous account's id). */
export async function onLinkAccount(
  db: Database,
  config: AppConfig,
  link: LinkedUsers,
  merged?: (from: string) => void,
) {
  const from = link.anonymousUser.user.accountId;
  const into = link.newUser.user.accountId;
  if (typeof from !== "string" || typeof into !== "string") {
    throw new Error("linking: a user without an account id");
  }
  if (from === into) await upgradeOnLink(db, config, into);
  else {
    await mergeAccounts(db, config, { from, into });
    merged?.(from);
  }
}
