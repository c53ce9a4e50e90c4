// A stable, non-reversible tag for an account in log lines: operators can follow one account
// through `wrangler tail` without the logs carrying its id.
import { sha256Hex } from "./sha256";

export async function accountHash(accountId: string): Promise<string> {
  return (await sha256Hex(accountId)).slice(0, 16);
}
