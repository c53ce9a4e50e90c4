// The message box: Enter sends, Shift+Enter is a new line; Stop while an answer streams. A
// message the server refused comes back here so nothing the person wrote is lost.
import { useEffect, useRef, useState } from "preact/hooks";
import { skipWaiting } from "../agent/cells";
import { sendMessage, stopAnswer } from "../agent/loop";
import { followedStream } from "../state/live";
import { composerRestore, loopPhase, waitingCells } from "../state/transcript";
import { stopStream } from "../sync/live";
import { SendIcon, StopIcon } from "./icons";

export function Composer() {
  const [text, setText] = useState("");
  const box = useRef<HTMLTextAreaElement>(null);
  const phase = loopPhase.value;
  const followed = followedStream.value;
  const busy = phase === "sending" || phase === "streaming" || followed !== null;
  const waiting = waitingCells.value.some((c) => c.status === "proposed");
  const cellRunning = waitingCells.value.some((c) => c.status === "running");

  useEffect(() => {
    const restored = composerRestore.value;
    if (restored === null) return;
    setText(restored);
    composerRestore.value = null;
    box.current?.focus();
  }, [composerRestore.value]);

  const send = async () => {
    const message = text;
    // Read now, not from the last render: the loop may have started a turn since.
    const now = loopPhase.value;
    if (!message.trim() || now === "sending" || now === "streaming" || followedStream.value) return;
    setText("");
    if (waiting) await skipWaiting();
    // Not taken (a turn started meanwhile): the text goes back into the box.
    if (!(await sendMessage(message))) composerRestore.value = message;
  };

  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      <label class="visually-hidden" for="message">
        Message
      </label>
      <textarea
        id="message"
        ref={box}
        rows={1}
        value={text}
        placeholder={
          cellRunning
            ? "A cell is running; you can write, and send once it has finished…"
            : waiting
              ? "Or write something else (the code above is then skipped)…"
              : "Ask for something to compute…"
        }
        autofocus
        onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            void send();
          }
        }}
      />
      {busy ? (
        <button
          type="button"
          class="button"
          onClick={() => {
            // An answer this tab follows (asked for elsewhere) is stopped for every tab.
            if (followed && phase === "idle") stopStream(followed);
            else stopAnswer();
            box.current?.focus();
          }}
          aria-label="Stop the answer"
        >
          <StopIcon /> Stop
        </button>
      ) : (
        <button
          type="submit"
          class="button button-primary"
          disabled={!text.trim() || cellRunning}
          aria-label="Send"
        >
          <SendIcon />
        </button>
      )}
    </form>
  );
}
