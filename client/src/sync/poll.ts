// Without live sync: the sessions list is read every few seconds while the tab is visible, and
// when a conversation or the quota changed, those are read too.
import { refreshQuota, refreshSessions, reloadConversation } from "../agent/refresh";
import { currentSessionId, sessions } from "../state/sessions";

const INTERVAL_MS = 4_000;

const fingerprint = () =>
  sessions.value.map((s) => `${s.id}:${s.message_count}:${s.updated_at}`).join("|");

async function tick() {
  const before = fingerprint();
  await refreshSessions();
  if (fingerprint() === before) return;
  void refreshQuota();
  const id = currentSessionId.value;
  if (id && sessions.value.some((s) => s.id === id)) void reloadConversation();
}

export function startPolling() {
  let timer: ReturnType<typeof setInterval> | undefined;
  const schedule = () => {
    clearInterval(timer);
    if (document.visibilityState !== "visible") return;
    timer = setInterval(() => void tick(), INTERVAL_MS);
  };
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") {
      void tick();
      void refreshQuota();
      void reloadConversation();
    }
    schedule();
  });
  schedule();
}
