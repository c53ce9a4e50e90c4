// One WebSocket per tab to the account's agent (GET /api/live): it announces every stream of
// the account as it starts and ends, and sends this tab the chunks of the conversation it shows,
// from the first, then live. The answers another tab asked for, or that were in flight when the
// page loaded, stream in here too; a Stop here stops them for every tab.
import { effect } from "@preact/signals";
import {
  MOVED_CLOSE_CODE,
  type ServerMessage,
  type TabMessage,
} from "../../../src/account-agent/live/protocol";
import { followChunk, followEnd, followStart, type LiveChunk } from "../agent/follow";
import { refreshQuota, refreshSessions, reloadConversation } from "../agent/refresh";
import { liveConnected } from "../state/live";
import { currentSessionId } from "../state/sessions";

// The agent's messages, as the server defines them; chunks carry the parsed chat.completion.chunk.
type Message = ServerMessage | ({ type: "chunk" } & LiveChunk);

let socket: WebSocket | null = null;
let attempts = 0;

function send(message: TabMessage) {
  if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

/** Asks the agent to stop a stream, for every tab (the asking one's too). */
export function stopStream(streamId: string) {
  send({ type: "stop", stream_id: streamId });
}

function handle(message: Message) {
  const open = currentSessionId.value;
  switch (message.type) {
    case "start":
      if (message.session_id === open) followStart(message);
      // A conversation another tab started shows in the sidebar at once.
      void refreshSessions();
      return;
    case "chunk":
      followChunk(message);
      return;
    case "end":
      followEnd(message.stream_id, message.outcome, message.error);
      void refreshSessions();
      void refreshQuota();
      return;
    case "changed":
      if (message.session_id === open) void reloadConversation();
      return;
    default:
      return;
  }
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${scheme}://${location.host}/api/live`);
  socket = ws;
  ws.onopen = () => {
    attempts = 0;
    liveConnected.value = true;
    send({ type: "follow", session_id: currentSessionId.value });
  };
  ws.onmessage = (event) => {
    try {
      handle(JSON.parse(String(event.data)) as Message);
    } catch {
      // A frame this page does not understand is not worth breaking the page over.
    }
  };
  ws.onclose = (event) => {
    if (socket === ws) socket = null;
    liveConnected.value = false;
    // The account was merged into another; the cookie now names the survivor.
    const wait = event.code === MOVED_CLOSE_CODE ? 0 : Math.min(30_000, 500 * 2 ** attempts++);
    setTimeout(connect, wait);
  };
}

export function startLive() {
  connect();
  // The conversation on screen is the one whose chunks this tab wants.
  effect(() => send({ type: "follow", session_id: currentSessionId.value }));
}
