// A stable, non-reversible tag for an account in log lines: operators can follow one account
// through `wrangler tail` without the logs carrying its id.
export async function accountHash(accountId: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(accountId));
  return [...new Uint8Array(digest).slice(0, 8)]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}
