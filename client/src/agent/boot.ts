// First load: sign the visitor in (anonymously, without a click, if they are new), learn what
// the deployment offers, finish a sign-in round trip, then open the conversation in the URL.
import { batch } from "@preact/signals";
import { getConfig, getMe, signInAnonymously } from "../api/account";
import { ApiError } from "../api/http";
import type { Me } from "../api/types";
import { kernel } from "../python/kernel";
import { bootState, config, me, online, quota } from "../state/account";
import { startSync } from "../sync";
import { startLive } from "../sync/live";
import { finishLinking } from "./account";
import { restoreAttachments } from "./attachments";
import { newChat, openSession } from "./conversations";
import { explain } from "./explain";
import { refreshFiles } from "./files";
import { refreshSessions } from "./refresh";
import { sessionInUrl } from "./route";

async function whoAmI(): Promise<Me> {
  try {
    return await getMe();
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) throw error;
    await signInAnonymously();
    return getMe();
  }
}

export async function boot() {
  try {
    const [who, offered] = await Promise.all([whoAmI(), getConfig()]);
    kernel.use(who.account_id, offered.python.packages_url);
    restoreAttachments(who.account_id);
    batch(() => {
      config.value = offered;
      me.value = who;
      quota.value = who.quota;
      // The conversation in the URL first: a message the person already sent waits for it.
      const id = sessionInUrl();
      if (id) void openSession(id);
      else newChat();
      bootState.value = { phase: "ready" };
    });
    void finishLinking(who);
    void refreshSessions();
    startSync(offered.sync);
    startLive();
    prefetchPython();
  } catch (error) {
    bootState.value = { phase: "failed", message: explain(error, { anonymous: true }).message };
  }
}

/**
 * Python starts once the page is idle, so the first Run does not wait for it (measured in
 * docs/benchmarks.md); not on a connection that asked to save data, where it waits for Run.
 */
function prefetchPython() {
  const connection = (navigator as { connection?: { saveData?: boolean } }).connection;
  if (connection?.saveData) return;
  const start = () => kernel.ready().then(refreshFiles, () => {});
  if ("requestIdleCallback" in window) requestIdleCallback(start, { timeout: 2_000 });
  else setTimeout(start, 500);
}

// Losing the connection is said at once, not discovered on the next send (a notice of its own,
// so a problem with a next step is not covered up by it).
addEventListener("offline", () => {
  online.value = false;
});
addEventListener("online", () => {
  online.value = true;
});

addEventListener("popstate", () => {
  const id = sessionInUrl();
  if (id) void openSession(id);
  else newChat();
});
