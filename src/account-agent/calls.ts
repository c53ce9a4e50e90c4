// The Worker's calls into an account's agent besides inference: a tab's live socket, and the
// notices the agent passes on to the account's tabs. The Worker has authenticated the caller and
// picks the object from its account, never from input.
import { loggableError } from "../db/errors";
import type { Env } from "../env";
import type { AgentNotice } from "./live/protocol";

/** Names the account of a tab connecting to /live; set by the Worker, which authenticated it. */
export const LIVE_ACCOUNT_HEADER = "x-gradual-account";

const agentOf = (env: Env, accountId: string) =>
  env.ACCOUNT_AGENT.get(env.ACCOUNT_AGENT.idFromName(accountId));

/** Hands a tab's WebSocket upgrade to its account's agent; the 101 (or its refusal). */
export function connectLive(env: Env, accountId: string): Promise<Response> {
  return agentOf(env, accountId).fetch("https://account-agent/live", {
    headers: { upgrade: "websocket", [LIVE_ACCOUNT_HEADER]: accountId },
  });
}

/** Tells the account's tabs; a failure costs them only a reload they would have done anyway. */
export async function tellAgent(env: Env, accountId: string, notice: AgentNotice): Promise<void> {
  try {
    const res = await agentOf(env, accountId).fetch("https://account-agent/notice", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(notice),
    });
    await res.body?.cancel();
  } catch (error) {
    console.warn(
      JSON.stringify({
        level: "warn",
        msg: "agent notice failed",
        notice: notice.type,
        error: loggableError(error),
      }),
    );
  }
}
