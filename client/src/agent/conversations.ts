// Opening, starting, renaming and deleting conversations.

import { ApiError } from "../api/http";
import { deleteSession, renameSession, sessionMessages } from "../api/sessions";
import { me } from "../state/account";
import { currentSessionId, sessions } from "../state/sessions";
import { loopPhase, problem, turns } from "../state/transcript";
import { explain } from "./explain";
import { isFollowed, unfollowAll } from "./follow";
import { fromStored } from "./history";
import { abandonTurn } from "./loop";
import { showSessionInUrl } from "./route";

const anonymous = () => me.value?.is_anonymous ?? true;

export async function openSession(id: string) {
  abandonTurn();
  unfollowAll();
  currentSessionId.value = id;
  showSessionInUrl(id);
  problem.value = null;
  turns.value = [];
  loopPhase.value = "loading";
  try {
    const stored = await sessionMessages(id);
    if (currentSessionId.value !== id) return;
    // An answer in flight may have begun to stream in while the stored ones loaded.
    turns.value = [...fromStored(stored), ...turns.value.filter(isFollowed)];
  } catch (error) {
    if (currentSessionId.value !== id) return;
    // A conversation is stored with its first answer: one still being written is not yet.
    const unsaved = error instanceof ApiError && error.status === 404;
    if (unsaved && turns.value.some(isFollowed)) return;
    problem.value = {
      message: unsaved
        ? "This conversation isn't saved yet. If its first answer is still being written, it appears here as it comes."
        : explain(error, { anonymous: anonymous() }).message,
      action: { label: "Start a new chat", run: newChat },
    };
  } finally {
    if (currentSessionId.value === id) loopPhase.value = "idle";
  }
}

export function newChat() {
  abandonTurn();
  unfollowAll();
  currentSessionId.value = null;
  showSessionInUrl(null);
  turns.value = [];
  problem.value = null;
  loopPhase.value = "idle";
}

export async function rename(id: string, title: string) {
  const before = sessions.value;
  sessions.value = before.map((s) => (s.id === id ? { ...s, title } : s));
  try {
    const saved = await renameSession(id, title);
    sessions.value = sessions.value.map((s) => (s.id === id ? saved : s));
  } catch (error) {
    sessions.value = before;
    problem.value = {
      message: `Couldn't rename it. ${explain(error, { anonymous: anonymous() }).message}`,
    };
  }
}

export async function remove(id: string) {
  const before = sessions.value;
  sessions.value = before.filter((s) => s.id !== id);
  if (currentSessionId.value === id) newChat();
  try {
    await deleteSession(id);
  } catch (error) {
    sessions.value = before;
    problem.value = {
      message: `Couldn't delete it. ${explain(error, { anonymous: anonymous() }).message}`,
    };
  }
}
