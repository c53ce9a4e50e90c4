// What the model is told about a cell, built the same way live and when a transcript is rebuilt
// from the server: the code that really ran (not the proposal, when the person edited it), then
// the run's report, or that the person skipped it.
import type { Cell, RichOutput, RunView } from "./types";

/**
 * The report's size, in UTF-8 bytes: well under the server's 64 KiB cap, because the model reads
 * every report again on every later turn of the conversation, and an anonymous day's quota is
 * 20,000 tokens. The page keeps showing the full output.
 */
export const MAX_REPORT_BYTES = 8 * 1024;
const TABLE_ROWS_REPORTED = 20;

/** Cuts `text` to `max` UTF-8 bytes, keeping its start and its end (where errors are). */
export function fitBytes(text: string, max: number): string {
  const encoded = new TextEncoder().encode(text);
  if (encoded.length <= max) return text;
  const marker = "\n… [output truncated] …\n";
  const half = Math.floor((max - new TextEncoder().encode(marker).length) / 2);
  if (half <= 0) return new TextDecoder().decode(encoded.subarray(0, max)).replace(/\uFFFD+$/, "");
  // A character cut in two decodes to U+FFFD at the edge; it is dropped.
  const decode = (part: Uint8Array) =>
    new TextDecoder().decode(part).replace(/^\uFFFD+|\uFFFD+$/g, "");
  return `${decode(encoded.subarray(0, half))}${marker}${decode(encoded.subarray(encoded.length - half))}`;
}

function describeRich(item: RichOutput): string {
  switch (item.kind) {
    case "image": {
      const size = item.width && item.height ? ` ${item.width}×${item.height}` : "";
      return `[displayed an image: ${item.mime}${size}${item.name ? `, ${item.name}` : ""}]`;
    }
    case "table": {
      const shown = [item.columns, ...item.rows.slice(0, TABLE_ROWS_REPORTED)]
        .map((row) => row.join(","))
        .join("\n");
      const more =
        item.totalRows > TABLE_ROWS_REPORTED
          ? `\n… ${item.totalRows - TABLE_ROWS_REPORTED} more rows`
          : "";
      return `[displayed a table, ${item.totalRows} rows × ${item.columns.length} columns${item.name ? `, ${item.name}` : ""}]\n${shown}${more}`;
    }
    case "html":
      return item.text ? `[displayed HTML]\n${item.text}` : "[displayed HTML]";
  }
}

/** The text report of a run, as stored and as the model reads it. */
export function runReport(run: RunView): string {
  const parts: string[] = [];
  if (run.stdout) parts.push(`stdout:\n${run.stdout.replace(/\n$/, "")}`);
  if (run.stderr) parts.push(`stderr:\n${run.stderr.replace(/\n$/, "")}`);
  for (const item of run.rich) parts.push(describeRich(item));
  if (run.notice) parts.push(run.notice);
  if (run.traceback) parts.push(`error:\n${run.traceback.replace(/\n$/, "")}`);
  return fitBytes(parts.join("\n\n") || "(no output)", MAX_REPORT_BYTES);
}

/** The tool message for a cell the person resolved. */
export function toolMessage(cell: Cell): string {
  if (cell.status === "skipped" || cell.executedCode === null) {
    return "The person skipped this code: it did not run.";
  }
  const code =
    cell.executedCode === cell.proposedCode
      ? "The person ran the proposed code unchanged."
      : `The person edited the code before running it. The code that ran:\n\`\`\`python\n${cell.executedCode}\n\`\`\``;
  const outcome = cell.status === "error" ? "It failed." : "It finished without error.";
  return `${code}\n${outcome}\n\n${cell.output ?? "(no output)"}`;
}
