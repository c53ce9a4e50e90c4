// Signing in and out. Linking happens on the provider's round trip: the page remembers which
// account it came from, so after a merge it can bring that account's /data files along.
import { type Provider, signOut, startSignIn } from "../api/account";
import type { Me } from "../api/types";
import { kernel } from "../python/kernel";
import { toast } from "../state/account";
import { problem } from "../state/transcript";
import { explain } from "./explain";

const LINKING = "gradual.linking";
/** A round trip to a provider that has not come back in this long was abandoned. */
const LINK_TTL_MS = 30 * 60_000;

export async function signInWith(provider: Provider, from: Me) {
  try {
    localStorage.setItem(LINKING, JSON.stringify({ from: from.account_id, at: Date.now() }));
    location.assign(await startSignIn(provider, location.pathname));
  } catch (error) {
    localStorage.removeItem(LINKING);
    problem.value = {
      message: `Sign-in could not start. ${explain(error, { anonymous: true }).message}`,
    };
  }
}

export async function signOutAndRestart() {
  try {
    await signOut();
  } finally {
    location.assign("/");
  }
}

/**
 * After a provider's round trip: a takeover kept the account (and its files); a merge moved
 * the anonymous account's history into the person's existing account, and its files follow.
 */
export async function finishLinking(now: Me) {
  const raw = localStorage.getItem(LINKING);
  if (!raw) return;
  const { from, at } = JSON.parse(raw) as { from: string; at: number };
  if (now.is_anonymous || Date.now() - at > LINK_TTL_MS) {
    localStorage.removeItem(LINKING);
    return;
  }
  const who = now.name ?? now.email ?? "your account";
  if (from === now.account_id) {
    localStorage.removeItem(LINKING);
    toast.value = `Signed in as ${who}. Your conversations and files are all here, with a higher daily limit.`;
    return;
  }
  // The marker stays until the files have moved: a reload or a failure meanwhile tries again.
  try {
    const { moved } = await kernel.adopt(from);
    localStorage.removeItem(LINKING);
    toast.value = `Signed in as ${who}. This browser's conversations${moved ? ` and ${moved} file${moved === 1 ? "" : "s"}` : ""} were added to your account.`;
  } catch (error) {
    problem.value = {
      message: `Signed in as ${who}, and your conversations are here, but the files from before could not be moved yet (${(error as Error).message}). They are kept, and moved the next time the page opens.`,
      action: { label: "Try now", run: () => void finishLinking(now) },
    };
  }
}
