// A stable, non-reversible tag for an account in log lines: operators can follow one account
// through `wrangler tail` without the logs carrying its id. Every gateway request logs one, so
// an isolate keeps the tags it has computed rather than hashing again.
import { LRUCache } from "lru-cache";
import { sha256Hex } from "./sha256";

const tags = new LRUCache<string, string>({ max: 10_000 });

export async function accountHash(accountId: string): Promise<string> {
  let tag = tags.get(accountId);
  if (tag === undefined) {
    tag = (await sha256Hex(accountId)).slice(0, 16);
    tags.set(accountId, tag);
  }
  return tag;
}
