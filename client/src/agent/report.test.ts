// What the model is told about a cell: the run's report (capped at 8 KiB, well under the server's 64 KiB, keeping
// the start and the end where errors are), and the tool message built around it.
import { describe, expect, it } from "vitest";
import { fitBytes, MAX_REPORT_BYTES, runReport, toolMessage } from "./report";
import type { Cell, RunView } from "./types";

const bytes = (text: string) => new TextEncoder().encode(text).length;
const MARKER = "\n… [output truncated] …\n";

const run = (over: Partial<RunView> = {}): RunView => ({
  stdout: "",
  stderr: "",
  traceback: null,
  rich: [],
  notice: null,
  startedAt: 0,
  finishedAt: 1,
  ...over,
});

const cell = (over: Partial<Cell> = {}): Cell => ({
  id: "call_1",
  index: 0,
  name: "python_run",
  arguments: JSON.stringify({ code: "print(1)" }),
  proposedCode: "print(1)",
  draft: "print(1)",
  status: "done",
  executedCode: "print(1)",
  output: "stdout:\n1",
  run: null,
  ...over,
});

describe("fitBytes", () => {
  it("returns text within the limit unchanged, up to exactly the limit", () => {
    expect(fitBytes("short", 100)).toBe("short");
    const exact = "é".repeat(50);
    expect(bytes(exact)).toBe(100);
    expect(fitBytes(exact, 100)).toBe(exact);
    expect(fitBytes("", 0)).toBe("");
  });

  // ASCII, then 2-, 3- and 4-byte characters; odd and even limits so cuts land mid-character.
  for (const char of ["a", "é", "日", "🐍"]) {
    for (const max of [100, 101, 102, 103, 4096, 4097]) {
      it(`cuts ${bytes(char)}-byte text to ${max} bytes, keeping both ends`, () => {
        const text = `START ${char.repeat(max)} END`;
        const fitted = fitBytes(text, max);
        expect(bytes(fitted)).toBeLessThanOrEqual(max);
        // It uses the room it has: each half loses at most one cut character.
        expect(bytes(fitted)).toBeGreaterThanOrEqual(max - 7);
        expect(fitted).not.toContain("\uFFFD");
        const [head, tail, ...rest] = fitted.split(MARKER);
        expect(rest).toEqual([]);
        expect(head?.startsWith("START ")).toBe(true);
        expect(text.startsWith(head ?? "-")).toBe(true);
        expect(tail?.endsWith(" END")).toBe(true);
        expect(text.endsWith(tail ?? "-")).toBe(true);
      });
    }
  }
});

describe("runReport", () => {
  it("says (no output) for a run that printed nothing", () => {
    expect(runReport(run())).toBe("(no output)");
  });

  it("reports stdout, stderr, displayed items, the notice and the error, in that order", () => {
    const report = runReport(
      run({
        stdout: "hello\n",
        stderr: "DeprecationWarning: old\n",
        rich: [
          {
            kind: "image",
            mime: "image/png",
            url: "blob:x",
            width: 640,
            height: 480,
            name: "plot.png",
          },
          {
            kind: "table",
            columns: ["city", "n"],
            rows: [
              ["Oslo", "1"],
              ["Lima", "2"],
            ],
            totalRows: 2,
            name: "df",
          },
          { kind: "html", html: "<b>hi</b>", text: "hi" },
        ],
        notice: "Loaded numpy.",
        traceback: "Traceback (most recent call last):\nZeroDivisionError: division by zero\n",
      }),
    );
    expect(report).toBe(
      [
        "stdout:\nhello",
        "stderr:\nDeprecationWarning: old",
        "[displayed an image: image/png 640×480, plot.png]",
        "[displayed a table, 2 rows × 2 columns, df]\ncity,n\nOslo,1\nLima,2",
        "[displayed HTML]\nhi",
        "Loaded numpy.",
        "error:\nTraceback (most recent call last):\nZeroDivisionError: division by zero",
      ].join("\n\n"),
    );
  });

  it("previews the first 20 rows of a long table and says how many more there are", () => {
    const rows = Array.from({ length: 500 }, (_, i) => [`row${i}`, String(i * 2)]);
    const report = runReport(
      run({ rich: [{ kind: "table", columns: ["id", "v"], rows, totalRows: 500, name: null }] }),
    );
    const lines = report.split("\n");
    expect(lines[0]).toBe("[displayed a table, 500 rows × 2 columns]");
    expect(lines[1]).toBe("id,v");
    expect(lines[2]).toBe("row0,0");
    expect(lines[21]).toBe("row19,38");
    expect(lines[22]).toBe("… 480 more rows");
    expect(report).not.toContain("row20");
  });

  it("stays within 8 KiB (a few thousand tokens the model rereads each turn) with megabytes of output, and keeps the error", () => {
    const stdout = "progress ✓ 🐍 42\n".repeat(200_000);
    expect(bytes(stdout)).toBeGreaterThan(3_000_000);
    const report = runReport(
      run({ stdout, stderr: "w".repeat(500_000), traceback: "ValueError: the real problem\n" }),
    );
    // Well under the server's cap (POST /complete takes 64 KiB), and small beside a day's quota.
    expect(MAX_REPORT_BYTES).toBe(8 * 1024);
    expect(bytes(report)).toBeLessThanOrEqual(MAX_REPORT_BYTES);
    expect(bytes(report)).toBeGreaterThan(MAX_REPORT_BYTES - 16);
    expect(report.startsWith("stdout:\nprogress ✓ 🐍 42\n")).toBe(true);
    expect(report).toContain("[output truncated]");
    expect(report.endsWith("error:\nValueError: the real problem")).toBe(true);
  });
});

describe("toolMessage", () => {
  it("tells the model a skipped cell did not run", () => {
    const skipped = cell({ status: "skipped", executedCode: null, output: null });
    expect(toolMessage(skipped)).toBe("The person skipped this code: it did not run.");
  });

  it("says the proposal ran unchanged, then gives its report", () => {
    expect(toolMessage(cell())).toBe(
      "The person ran the proposed code unchanged.\nIt finished without error.\n\nstdout:\n1",
    );
  });

  it("shows the model the code that ran when the person edited it, not the proposal", () => {
    const edited = cell({
      proposedCode: "print(1 / 0)",
      executedCode: "print(1 / 2)",
      output: "stdout:\n0.5",
    });
    const message = toolMessage(edited);
    expect(message).toContain("edited the code");
    expect(message).toContain("```python\nprint(1 / 2)\n```");
    expect(message).not.toContain("1 / 0");
    expect(message).toContain("It finished without error.");
    expect(message.endsWith("stdout:\n0.5")).toBe(true);
  });

  it("says a failed run failed, with its report", () => {
    const failed = cell({ status: "error", output: "error:\nNameError: name 'x' is not defined" });
    const message = toolMessage(failed);
    expect(message).toContain("It failed.");
    expect(message).not.toContain("without error");
    expect(message).toContain("NameError");
  });

  it("says (no output) when a run left no report", () => {
    expect(toolMessage(cell({ output: null }))).toContain("\n\n(no output)");
  });
});
