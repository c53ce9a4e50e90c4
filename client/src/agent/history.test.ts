// The conversation both ways: the transcript rebuilt from GET /api/sessions/:id/messages after a
// reload, the OpenAI messages the next turn sends, and what the page keeps when the stored
// transcript replaces its own.
import { describe, expect, it } from "vitest";
import type { StoredMessage, StoredToolCall } from "../api/types";
import { fromStored, toChatMessages, withLocalState } from "./history";
import { toolMessage } from "./report";
import type { AssistantTurn, Cell, RunView, Turn } from "./types";

let seq = 0;
const message = (over: Partial<StoredMessage>): StoredMessage => ({
  id: `m${++seq}`,
  seq,
  role: "user",
  content: "",
  model: null,
  finish_reason: null,
  created_at: "2030-01-01T00:00:00.000Z",
  tool_calls: [],
  ...over,
});

// Arguments as a model wrote them: spacing and \u escapes that JSON.stringify would not keep.
const argumentsFor = (code: string) =>
  `{ "code": ${JSON.stringify(code).replace(/é/g, "\\u00e9")} }`;

const call = (over: Partial<StoredToolCall> & { code?: string }): StoredToolCall => {
  const { code = "print('café')", ...rest } = over;
  return {
    id: `call_${++seq}`,
    name: "python_run",
    status: "proposed",
    position: 0,
    arguments: argumentsFor(code),
    proposed_code: code,
    executed_code: null,
    output: null,
    completed_at: null,
    ...rest,
  };
};

const user = (content: string) => message({ role: "user", content });
const assistant = (
  content: string,
  finish_reason: string | null,
  tool_calls: StoredToolCall[] = [],
) => message({ role: "assistant", content, finish_reason, tool_calls, model: "scripted-demo" });

const answers = (turns: Turn[]) => turns.filter((t): t is AssistantTurn => t.kind === "assistant");

describe("fromStored", () => {
  it("rebuilds the person's messages and the answers, in order, keyed by their ids", () => {
    const stored = [user("hi"), assistant("Hello!", "stop"), user("again")];
    const turns = fromStored(stored);
    expect(turns.map((t) => [t.kind, t.key])).toEqual([
      ["user", stored[0]?.id],
      ["assistant", stored[1]?.id],
      ["user", stored[2]?.id],
    ]);
    expect(turns[0]).toMatchObject({ text: "hi" });
    expect(turns[1]).toMatchObject({ text: "Hello!", status: "done", problem: null, cells: [] });
  });

  it("leaves out tool and system messages: the cells carry what they said", () => {
    const turns = fromStored([
      message({ role: "system", content: "You are…" }),
      user("go"),
      message({ role: "tool", content: "stdout:\n1" }),
    ]);
    expect(turns.map((t) => t.kind)).toEqual(["user"]);
  });

  it("gives an answer that called tools its cells, in position order, with their status", () => {
    const turns = fromStored([
      user("go"),
      assistant("Two cells:", "tool_calls", [
        call({ position: 2, status: "proposed", code: "third()" }),
        call({
          position: 0,
          status: "done",
          code: "first()",
          executed_code: "first(edited=True)",
          output: "stdout:\nok",
        }),
        call({ position: 1, status: "skipped", code: "second()" }),
      ]),
    ]);
    const [answer] = answers(turns);
    expect(answer?.status).toBe("done");
    expect(answer?.finishReason).toBe("tool_calls");
    expect(answer?.cells.map((c) => [c.index, c.status, c.proposedCode])).toEqual([
      [0, "done", "first()"],
      [1, "skipped", "second()"],
      [2, "proposed", "third()"],
    ]);
    // The editor shows the code that ran, or the proposal for a cell not run yet.
    expect(answer?.cells.map((c) => c.draft)).toEqual([
      "first(edited=True)",
      "second()",
      "third()",
    ]);
    expect(answer?.cells[0]).toMatchObject({
      executedCode: "first(edited=True)",
      output: "stdout:\nok",
      run: null,
    });
  });

  it("reads the proposal from the arguments when the server kept no proposed code", () => {
    const [answer] = answers(
      fromStored([assistant("", "tool_calls", [call({ code: "x = 'é'", proposed_code: null })])]),
    );
    expect(answer?.cells[0]?.proposedCode).toBe("x = 'é'");
  });

  it("marks a proposal in an answer that did not end with tool_calls as incomplete", () => {
    const turns = fromStored([
      assistant("Running:", "length", [call({ arguments: '{"code":"pri' })]),
      assistant("Running:", "stop", [call({})]),
    ]);
    for (const answer of answers(turns)) {
      expect(answer.cells.map((c) => c.status)).toEqual(["incomplete"]);
    }
  });

  it("shows a stopped answer as stopped and a failed one as cut, with a reason", () => {
    const [stopped, cut] = answers(
      fromStored([
        assistant("Half an", "aborted"),
        assistant("Running:", "error", [call({ arguments: '{"code":"x = ' })]),
      ]),
    );
    expect(stopped).toMatchObject({ status: "stopped", problem: null });
    expect(cut?.status).toBe("cut");
    expect(cut?.problem).toMatch(/cut off/);
    expect(cut?.cells[0]?.status).toBe("incomplete");
  });
});

describe("toChatMessages", () => {
  const SYSTEM = "You are a careful assistant.";

  it("starts with the system prompt, then the conversation", () => {
    const messages = toChatMessages(SYSTEM, fromStored([user("hi"), assistant("Hello!", "stop")]));
    expect(messages).toEqual([
      { role: "system", content: SYSTEM },
      { role: "user", content: "hi" },
      { role: "assistant", content: "Hello!" },
    ]);
  });

  it("sends the calls' original arguments verbatim, each answered right after, in order", () => {
    const ran = call({
      position: 0,
      status: "done",
      code: "print('é')",
      executed_code: "print('é')",
      output: "stdout:\né",
    });
    const failed = call({
      position: 1,
      status: "error",
      code: "1/0",
      executed_code: "1/0",
      output: "error:\nZeroDivisionError",
    });
    const skipped = call({ position: 2, status: "skipped", code: "rm()" });
    const turns = fromStored([
      user("go"),
      assistant("", "tool_calls", [skipped, ran, failed]),
      assistant("All done.", "stop"),
    ]);
    const messages = toChatMessages(SYSTEM, turns);
    expect(messages.map((m) => m.role)).toEqual([
      "system",
      "user",
      "assistant",
      "tool",
      "tool",
      "tool",
      "assistant",
    ]);
    const withCalls = messages[2];
    expect(withCalls?.content).toBeNull();
    expect(withCalls?.tool_calls).toEqual([
      { id: ran.id, type: "function", function: { name: "python_run", arguments: ran.arguments } },
      {
        id: failed.id,
        type: "function",
        function: { name: "python_run", arguments: failed.arguments },
      },
      {
        id: skipped.id,
        type: "function",
        function: { name: "python_run", arguments: skipped.arguments },
      },
    ]);
    expect(withCalls?.tool_calls?.[0]?.function.arguments).toBe(`{ "code": "print('\\u00e9')" }`);
    const cells = answers(turns)[0]?.cells ?? [];
    expect(messages.slice(3, 6)).toEqual(
      cells.map((c) => ({ role: "tool", tool_call_id: c.id, content: toolMessage(c) })),
    );
    expect(messages[3]?.content).toContain("ran the proposed code unchanged");
    expect(messages[4]?.content).toContain("It failed.");
    expect(messages[5]?.content).toContain("skipped");
  });

  it("leaves out empty answers without cells, which providers refuse", () => {
    const messages = toChatMessages(
      SYSTEM,
      fromStored([user("hi"), assistant("", "aborted"), user("hello?")]),
    );
    expect(messages.map((m) => [m.role, m.content])).toEqual([
      ["system", SYSTEM],
      ["user", "hi"],
      ["user", "hello?"],
    ]);
  });

  it("does not send incomplete cells: the answer goes as text, with no tool message", () => {
    const messages = toChatMessages(
      SYSTEM,
      fromStored([
        user("go"),
        assistant("Running:", "error", [call({ arguments: '{"code":"x = ' })]),
        assistant("", "length", [call({ arguments: '{"code":"y' })]),
        user("try again"),
      ]),
    );
    expect(messages).toEqual([
      { role: "system", content: SYSTEM },
      { role: "user", content: "go" },
      { role: "assistant", content: "Running:" },
      { role: "user", content: "try again" },
    ]);
  });

  it("sends only the complete cells of a live answer whose last cell is incomplete", () => {
    const [answer] = answers(
      fromStored([
        assistant("", "tool_calls", [
          call({ position: 0, status: "done", executed_code: "a()", output: "x" }),
          call({ position: 1 }),
        ]),
      ]),
    );
    if (!answer) throw new Error("no answer");
    const live: AssistantTurn = {
      ...answer,
      cells: answer.cells.map((c, i) => (i === 1 ? { ...c, status: "incomplete" } : c)),
    };
    const messages = toChatMessages(SYSTEM, [live]);
    expect(messages[1]?.tool_calls?.map((c) => c.id)).toEqual([answer.cells[0]?.id]);
    expect(messages.filter((m) => m.role === "tool").map((m) => m.tool_call_id)).toEqual([
      answer.cells[0]?.id,
    ]);
  });
});

describe("withLocalState", () => {
  const liveRun: RunView = {
    stdout: "1\n",
    stderr: "",
    traceback: null,
    rich: [{ kind: "html", html: "<svg/>", text: "" }],
    notice: null,
    startedAt: 1,
    finishedAt: 2,
  };

  const stored = () =>
    fromStored([
      user("go"),
      assistant("Cells:", "tool_calls", [
        call({
          id: "call_ran",
          position: 0,
          status: "done",
          code: "a()",
          executed_code: "a(1)",
          output: "stdout:\n1",
        }),
        call({ id: "call_open", position: 1, status: "proposed", code: "b()" }),
      ]),
    ]);

  const localFrom = (turns: Turn[], change: (cell: Cell) => Cell): Turn[] =>
    turns.map((t, i) =>
      t.kind === "user"
        ? { ...t, key: `local-user-${i}` }
        : { ...t, key: `local-answer-${i}`, cells: t.cells.map(change) },
    );

  it("keeps a cell's live run (its pictures are not stored) and the edit not yet run", () => {
    const local = localFrom(stored(), (c) => ({ ...c, run: liveRun, draft: `${c.draft} # mine` }));
    const merged = answers(withLocalState(stored(), local))[0]?.cells ?? [];
    expect(merged.map((c) => c.run)).toEqual([liveRun, liveRun]);
    // The proposed cell keeps what the person typed; the one that ran shows what ran.
    expect(merged.map((c) => c.draft)).toEqual(["a(1)", "b() # mine"]);
    // Everything else comes from the server.
    expect(merged.map((c) => c.status)).toEqual(["done", "proposed"]);
    expect(merged[0]?.output).toBe("stdout:\n1");
  });

  it("keeps the page's turn keys where the same kind of turn sits at the same place", () => {
    const local = localFrom(stored(), (c) => c);
    const merged = withLocalState(stored(), local);
    expect(merged.map((t) => t.key)).toEqual(["local-user-0", "local-answer-1"]);
  });

  it("takes the stored keys where the page had another kind of turn, or none", () => {
    const server = stored();
    const answer = answers(server)[0];
    if (!answer) throw new Error("no answer");
    // The page's first turn is an answer where the server has the person's message.
    const local: Turn[] = [{ ...answer, key: "local-x" }];
    const merged = withLocalState(server, local);
    expect(merged.map((t) => t.key)).toEqual(server.map((t) => t.key));
    expect(withLocalState(server, []).map((t) => t.key)).toEqual(server.map((t) => t.key));
  });

  // A reload while a cell runs (sync/poll.ts on a tab switch, or Electric when another row
  // changes) finds the server still saying "proposed": the page must not offer Run and Skip
  // again for code that is running, nor forget the code it is running.
  it("keeps a cell that is running on this page running until the server settles it", () => {
    const local = localFrom(stored(), (c) =>
      c.id === "call_open"
        ? { ...c, status: "running", executedCode: "b(2)", draft: "b(2)", run: liveRun }
        : c,
    );
    const open = answers(withLocalState(stored(), local))[0]?.cells[1];
    expect(open).toMatchObject({ status: "running", executedCode: "b(2)", run: liveRun });
  });

  it("leaves cells the page does not know as stored", () => {
    const server = stored();
    const merged = withLocalState(server, [{ kind: "user", key: "local-u", text: "go" }]);
    expect(answers(merged)[0]?.cells).toEqual(answers(server)[0]?.cells);
    expect(merged[0]?.key).toBe("local-u");
  });
});
