// Keeping the page's copy of server state fresh after the page itself changed it. Live changes
// made elsewhere (another tab) arrive through sync/.
import { getQuota } from "../api/account";
import { listSessions, sessionMessages } from "../api/sessions";
import { quota } from "../state/account";
import { currentSessionId, sessions, sessionsLoaded } from "../state/sessions";
import { loopPhase, turns } from "../state/transcript";
import { fromStored, withLocalState } from "./history";

export async function refreshQuota() {
  quota.value = await getQuota().catch(() => quota.value);
}

export async function refreshSessions() {
  try {
    sessions.value = await listSessions();
    sessionsLoaded.value = true;
  } catch {
    // Kept as it was; the next refresh tries again.
  }
}

/** Re-reads the open conversation, unless the loop is in the middle of a turn. */
export async function reloadConversation() {
  const id = currentSessionId.value;
  if (!id || loopPhase.value !== "idle") return;
  const stored = await sessionMessages(id).catch(() => null);
  if (!stored || currentSessionId.value !== id || loopPhase.value !== "idle") return;
  const next = withLocalState(fromStored(stored), turns.value);
  if (JSON.stringify(next) !== JSON.stringify(turns.value)) turns.value = next;
}

export function refreshAfterTurn() {
  void refreshQuota();
  void refreshSessions();
}
