// What the model is told: the system prompt (with the data the person put in /data) and the one
// tool it may call.

import { formatBytes } from "../format";
import type { Attachment } from "../state/attachments";

export const PYTHON_TOOL = {
  type: "function" as const,
  function: {
    name: "python_run",
    description:
      "Propose Python code to run in the person's browser (Pyodide, Python 3 with the standard " +
      "library; numpy, pandas and matplotlib load on import when the network allows). The person " +
      "sees the code first and may edit it, run it or skip it; you are then told the code that " +
      "really ran and what it printed, displayed or raised.",
    parameters: {
      type: "object",
      properties: { code: { type: "string", description: "The Python source to run." } },
      required: ["code"],
      additionalProperties: false,
    },
  },
};

const BASE_PROMPT = `You are Gradual, a coding assistant that works by writing and running Python.

When a question is best answered by computing, call python_run with a short, complete program. It runs in the person's browser in Pyodide, only after they approve it, and they may edit it first. Variables persist between runs. Files go in /data (the working directory), which is kept across reloads; write results there when they are worth keeping.

Show results with print(), or with display(value): an image (PNG bytes or a path), a table (a .csv path, or a pandas DataFrame), or a matplotlib figure. Figures left open are shown after the run.

After a run you are told the code that actually ran, which may differ from what you proposed, and its output or error. Explain results briefly; fix errors with a new proposal. Use Markdown for prose and keep answers short.`;

function describe(a: Attachment): string {
  const what =
    a.kind === "dataset"
      ? `${a.format?.toUpperCase() ?? "data"}, ${a.rows ?? "?"} rows; columns: ${a.columns?.join(", ") ?? "unknown"}`
      : `${a.format === "csv" ? "CSV, " : ""}${formatBytes(a.size)}${a.columns ? `; header: ${a.columns[0]}` : ""}`;
  return `- /data/${a.path} (${what})`;
}

/** The system prompt, naming what the person put in /data for this conversation to use. */
export function systemPrompt(attached: Attachment[]): string {
  if (!attached.length) return BASE_PROMPT;
  const datasets = attached.filter((a) => a.kind === "dataset");
  const own = attached.filter((a) => a.kind === "file");
  const lines = [
    ...(datasets.length
      ? ["Datasets the person mounted in /data:", ...datasets.map(describe)]
      : []),
    ...(own.length ? ["Files the person added to /data:", ...own.map(describe)] : []),
  ];
  return `${BASE_PROMPT}\n\n${lines.join("\n")}\nRead them from those paths, with those column names.`;
}
