// A code cell: the model's proposal in an editable box, Run / Skip while it waits, then what
// the run printed, showed or raised. After a reload the stored text report stands in for the
// live output (pictures are not stored).
import { useEffect, useRef, useState } from "preact/hooks";
import { editCell, runCell, skipCell, stopCell } from "../agent/cells";
import type { Cell as CellModel, RichOutput, RunView } from "../agent/types";
import { CodeEditor } from "./code-editor";
import { PlayIcon, StopIcon } from "./icons";
import { SafeHtml } from "./safe-html";

const STATUS: Record<CellModel["status"], { label: string; tone: string }> = {
  streaming: { label: "Writing…", tone: "" },
  proposed: { label: "Waiting for your approval", tone: "chip-accent" },
  running: { label: "Running", tone: "chip-warning" },
  done: { label: "Ran", tone: "" },
  error: { label: "Failed", tone: "chip-danger" },
  skipped: { label: "Skipped", tone: "" },
  incomplete: { label: "Incomplete proposal", tone: "" },
};

function Elapsed({ run }: { run: RunView }) {
  const [, tick] = useState(0);
  useEffect(() => {
    if (run.finishedAt !== null) return;
    const timer = setInterval(() => tick((n) => n + 1), 250);
    return () => clearInterval(timer);
  }, [run.finishedAt]);
  const ms = (run.finishedAt ?? performance.now()) - run.startedAt;
  return <span>{ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`}</span>;
}

function Rich({ item }: { item: RichOutput }) {
  if (item.kind === "image") {
    return (
      <figure>
        <img
          src={item.url}
          alt={item.name ? `Image ${item.name}` : "Image the code displayed"}
          width={item.width ?? undefined}
          height={item.height ?? undefined}
        />
        {item.name && <figcaption class="output-caption">{item.name}</figcaption>}
      </figure>
    );
  }
  if (item.kind === "html") return <SafeHtml html={item.html} />;
  return (
    <figure>
      <div class="table-wrap">
        <table class="table">
          <thead>
            <tr>
              {item.columns.map((c, i) => (
                <th key={i} scope="col">
                  {c}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {item.rows.map((row, r) => (
              <tr key={r}>
                {row.map((v, i) => (
                  <td key={i}>{v}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <figcaption class="output-caption">
        {item.name ? `${item.name} · ` : ""}
        {item.totalRows} rows × {item.columns.length} columns
        {item.totalRows > item.rows.length ? ` (first ${item.rows.length} shown)` : ""}
      </figcaption>
    </figure>
  );
}

function Output({ cell }: { cell: CellModel }) {
  const run = cell.run;
  if (!run) {
    if (!cell.output || cell.status === "proposed") return null;
    return (
      <output class="output" aria-label="Output">
        <pre>{cell.output}</pre>
        <p class="output-caption">
          The run's report as the model received it; pictures are not kept.
        </p>
      </output>
    );
  }
  const empty = !run.stdout && !run.stderr && !run.traceback && !run.rich.length && !run.notice;
  return (
    <output class="output" aria-label="Output">
      {run.stdout && <pre class="stdout">{run.stdout}</pre>}
      {run.stderr && <pre class="stderr">{run.stderr}</pre>}
      {run.rich.map((item, i) => (
        <Rich key={i} item={item} />
      ))}
      {run.traceback && <pre class="traceback">{run.traceback}</pre>}
      {run.notice && <p class="run-notice">{run.notice}</p>}
      {empty && run.finishedAt !== null && <p class="run-notice">No output.</p>}
    </output>
  );
}

export function Cell({ cell, number }: { cell: CellModel; number: number }) {
  const status = STATUS[cell.status];
  const waiting = cell.status === "proposed";
  const edited = (cell.executedCode ?? cell.draft) !== cell.proposedCode;
  const box = useRef<HTMLElement>(null);
  // The button pressed goes away: keep the keyboard on this cell, not the top of the page.
  const act = (action: (id: string) => Promise<void> | void) => {
    box.current?.focus();
    void action(cell.id);
  };
  return (
    <section
      ref={box}
      tabIndex={-1}
      class="cell"
      data-status={cell.status}
      aria-label={`Proposed Python code, cell ${number}`}
    >
      <div class="cell-head">
        <span class="cell-title">Python · cell {number}</span>
        {edited && cell.status !== "skipped" && <span class="chip">Edited</span>}
        {cell.run && ["running", "done", "error"].includes(cell.status) && (
          <span class="elapsed">
            <Elapsed run={cell.run} />
          </span>
        )}
        <span class={`chip ${status.tone}`}>{status.label}</span>
      </div>
      <CodeEditor
        value={waiting ? cell.draft : (cell.executedCode ?? cell.draft)}
        label={`Python code, cell ${number}`}
        readOnly={!waiting}
        onInput={(value) => editCell(cell.id, value)}
        onRun={() => act(runCell)}
      />
      {(waiting || cell.status === "running") && (
        <div class="cell-actions">
          {waiting ? (
            <>
              <button
                type="button"
                class="button button-primary"
                aria-label={`Run cell ${number}`}
                onClick={() => act(runCell)}
              >
                <PlayIcon /> Run
              </button>
              <button
                type="button"
                class="button"
                aria-label={`Skip cell ${number}`}
                onClick={() => act(skipCell)}
              >
                Skip
              </button>
              <span class="hint">Edit the code first if you like · Ctrl+Enter runs</span>
            </>
          ) : (
            <button
              type="button"
              class="button"
              aria-label={`Stop cell ${number}`}
              onClick={() => act(stopCell)}
            >
              <StopIcon /> Stop
            </button>
          )}
        </div>
      )}
      <Output cell={cell} />
    </section>
  );
}
