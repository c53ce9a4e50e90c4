// Keeping the page's copy of server state fresh after the page itself changed it. Live changes
// made elsewhere (another tab) arrive through sync/.
import { getQuota } from "../api/account";
import { listSessions, sessionMessages } from "../api/sessions";
import type { SessionSummary } from "../api/types";
import { quota } from "../state/account";
import { followedStream } from "../state/live";
import { currentSessionId, sessions, sessionsLoaded } from "../state/sessions";
import { loopPhase, turns } from "../state/transcript";
import { fromStored, withLocalState } from "./history";

export async function refreshQuota() {
  quota.value = await getQuota().catch(() => quota.value);
}

/**
 * The server's list, keeping the open conversation while its first turn is still streaming: the
 * server records a new session only when the turn settles.
 */
export function mergeSessions(server: SessionSummary[]): SessionSummary[] {
  const open = currentSessionId.value;
  const pending = sessions.value.find((s) => s.id === open);
  if (!pending || loopPhase.value === "idle" || server.some((s) => s.id === open)) return server;
  return [pending, ...server];
}

export async function refreshSessions() {
  try {
    sessions.value = mergeSessions(await listSessions());
    sessionsLoaded.value = true;
  } catch {
    // Kept as it was; the next refresh tries again.
  }
}

/** Re-reads the open conversation, unless the loop is in the middle of a turn. */
export async function reloadConversation() {
  const id = currentSessionId.value;
  // An answer being followed live is newer than what is stored; its end reloads.
  if (!id || loopPhase.value !== "idle" || followedStream.value) return;
  const stored = await sessionMessages(id).catch(() => null);
  if (!stored || currentSessionId.value !== id || loopPhase.value !== "idle") return;
  if (followedStream.value) return;
  const next = withLocalState(fromStored(stored), turns.value);
  if (JSON.stringify(next) !== JSON.stringify(turns.value)) turns.value = next;
}

export function refreshAfterTurn() {
  void refreshQuota();
  void refreshSessions();
}
