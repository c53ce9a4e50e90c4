// The conversation: the person's messages, the answers (Markdown, streamed as they arrive) and
// the cells they propose; or, before the first message, a few examples of what the agent does.
import { readyToContinue } from "../agent/cells";
import { askAgain, continueTurn, sendMessage } from "../agent/loop";
import type { AssistantTurn, Turn } from "../agent/types";
import { bootState, config } from "../state/account";
import { loopPhase, turns } from "../state/transcript";
import { Cell } from "./cell";
import { Markdown } from "./markdown";

export const EXAMPLES = [
  { prompt: "List the primes below 100", blurb: "A sieve in plain Python, printed" },
  {
    prompt: "Save a multiplication table to /data and show it",
    blurb: "Writes a CSV you keep, shown as a table",
  },
  { prompt: "Draw a colour gradient as a PNG", blurb: "An image built with zlib and struct" },
  { prompt: "Plot a sine wave", blurb: "matplotlib, fetched from the package CDN" },
];

function Empty() {
  const demo = config.value?.demo_model;
  const ready = bootState.value.phase === "ready";
  return (
    <div class="empty">
      <h1>What should we work out?</h1>
      <p class="empty-lead">
        Ask a question. The agent answers with Python you can read, edit and run right here in your
        browser. Nothing runs until you press Run; files it writes stay in /data.
      </p>
      <div class="examples">
        {EXAMPLES.map((e) => (
          <button
            type="button"
            key={e.prompt}
            class="example"
            disabled={!ready || loopPhase.value !== "idle"}
            onClick={() => void sendMessage(e.prompt)}
          >
            <strong>{e.prompt}</strong>
            <span>{e.blurb}</span>
          </button>
        ))}
      </div>
      {demo && (
        <p class="muted">
          These run end to end with the scripted demo model; the sine wave needs the internet for
          matplotlib.
        </p>
      )}
    </div>
  );
}

function Answer({
  turn,
  last,
  firstCell,
}: {
  turn: AssistantTurn;
  last: boolean;
  firstCell: number;
}) {
  const streaming = turn.status === "streaming";
  const waitingForWords = streaming && !turn.text && !turn.cells.length;
  return (
    <article class="turn-assistant" aria-label="Assistant">
      {waitingForWords && (
        <span class="typing" role="status" aria-label="The assistant is answering">
          <i />
          <i />
          <i />
        </span>
      )}
      {turn.text && <Markdown text={turn.text} streaming={streaming} />}
      {turn.cells.map((cell, i) => (
        <Cell key={cell.id || cell.index} cell={cell} number={firstCell + i} />
      ))}
      {last && readyToContinue() && (
        <div class="notice">
          <p>The results above have not been sent to the model yet.</p>
          <button
            type="button"
            class="button button-small button-primary"
            onClick={() => void continueTurn()}
          >
            Continue
          </button>
        </div>
      )}
      {turn.status === "stopped" && (
        <p class="answer-meta">
          <span class="chip">Stopped</span> You stopped this answer; only what arrived was charged.
        </p>
      )}
      {turn.status === "cut" && (
        <div class="notice notice-warning" role="alert">
          <p>{turn.problem ?? "The answer was cut off before it ended."}</p>
          {last && (
            <button type="button" class="button button-small" onClick={() => void askAgain()}>
              Ask again
            </button>
          )}
        </div>
      )}
      {turn.finishReason === "length" && (
        <p class="answer-meta">
          <span class="chip">Cut at the length limit</span> Ask it to continue if you need more.
        </p>
      )}
    </article>
  );
}

function TurnView({ turn, last, firstCell }: { turn: Turn; last: boolean; firstCell: number }) {
  if (turn.kind === "user") {
    return (
      <article class="turn-user" aria-label="You">
        {turn.text}
      </article>
    );
  }
  return <Answer turn={turn} last={last} firstCell={firstCell} />;
}

export function Transcript() {
  const list = turns.value;
  const phase = loopPhase.value;
  if (phase === "loading") {
    return (
      <div class="transcript" aria-busy="true">
        <p class="muted">Loading the conversation…</p>
      </div>
    );
  }
  if (!list.length) return <Empty />;
  // Cells are numbered through the conversation, so "Run cell 3" names one.
  let next = 1;
  const cellNumbers = list.map((turn) => {
    const first = next;
    if (turn.kind === "assistant") next += turn.cells.length;
    return first;
  });
  return (
    <div class="transcript" role="log" aria-live="polite" aria-busy={phase === "streaming"}>
      {list.map((turn, i) => (
        <TurnView
          key={turn.key}
          turn={turn}
          last={i === list.length - 1}
          firstCell={cellNumbers[i] ?? 1}
        />
      ))}
    </div>
  );
}
