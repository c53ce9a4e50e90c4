// What a person does at the same time as something else: a second tab writing files, opening
// another conversation while a cell runs, settling two cells at once, writing while a cell
// runs, a cell that prints a great deal. Nothing is lost, nothing is told twice.
import { describe, expect, it } from "vitest";
import {
  accountOf,
  composer,
  lastAnswer,
  lastCell,
  listedFiles,
  modelRequests,
  newProfile,
  proposeAndRun,
  ready,
  scripted,
  send,
  sql,
  stack,
  visit,
} from "./support";

describe("at the same time", () => {
  it("keeps the files two tabs of one account write, each seeing the other's", async () => {
    const profile = await newProfile();
    const first = await visit(profile, stack.plain.url);
    const second = await visit(profile, stack.plain.url);
    // Both tabs have Python (and their copy of /data) up before either writes.
    await expect.poll(() => listedFiles(first), { timeout: 30_000 }).toEqual([]);
    await expect.poll(() => listedFiles(second), { timeout: 30_000 }).toEqual([]);
    const a = await proposeAndRun(first, 'open("/data/from-a.txt", "w").write("a")\nprint("a")');
    await a.locator(".stdout").getByText("a").waitFor();
    const b = await proposeAndRun(
      second,
      'import os\nopen("/data/from-b.txt", "w").write("b")\nprint(sorted(os.listdir("/data")))',
    );
    await b.locator(".stdout").getByText("['from-a.txt', 'from-b.txt']").waitFor();
    const third = await visit(profile, stack.plain.url);
    await expect
      .poll(() => listedFiles(third), { timeout: 30_000 })
      .toEqual(["from-a.txt", "from-b.txt"]);
  });

  it("stores a cell's result when the person opened another conversation while it ran, and continues only its own", async () => {
    const page = await visit(await newProfile(), stack.plain.url);
    const me = await accountOf(page);
    const label = `own-${crypto.randomUUID()}`;
    const cell = await proposeAndRun(page, 'import time\ntime.sleep(3)\nprint("finished")');
    await cell.getByText("Running", { exact: true }).waitFor();
    await page.getByRole("button", { name: "New chat" }).click();
    await send(page, scripted(label, { reply: "A different conversation." }));
    await lastAnswer(page).getByText("A different conversation.").waitFor();
    await expect
      .poll(async () => {
        const [row] = await sql`
          select status, output from agent_tool_calls where account_id = ${me.account_id}`;
        return row?.status;
      })
      .toBe("done");
    // The other conversation was not continued with the cell's result.
    const here = await modelRequests(stack.plain.modelUrl, label);
    expect(here).toHaveLength(1);
    // Back in the first conversation, its result is shown and it offers to continue.
    await page
      .getByRole("navigation", { name: "Conversations" })
      .getByRole("button", { name: /^run / })
      .click();
    await lastCell(page)
      .locator(".output")
      .getByText(/finished/)
      .waitFor();
    await page.getByRole("button", { name: "Continue" }).click();
    await lastAnswer(page).getByText('The program ran. It printed: "finished"').waitFor();
  });

  it("sends one follow-up when two cells of one answer settle together", async () => {
    const page = await visit(await newProfile(), stack.plain.url);
    const label = `pair-${crypto.randomUUID()}`;
    await send(
      page,
      scripted(label, {
        reply: "Two proposals.",
        tool_call: [
          { name: "python_run", arguments: { code: 'print("one")' } },
          { name: "python_run", arguments: { code: 'print("two")' } },
        ],
      }),
    );
    await page.getByRole("button", { name: "Skip cell 2" }).waitFor();
    // One after the other, as fast as a person can: both reports are on their way at once.
    await page.getByRole("button", { name: "Skip cell 1" }).click();
    await page.getByRole("button", { name: "Skip cell 2" }).click();
    await lastAnswer(page)
      .getByText(/You skipped the program/)
      .waitFor();
    await page.waitForTimeout(1_000);
    const requests = await modelRequests(stack.plain.modelUrl, label);
    expect(requests).toHaveLength(2);
    expect(requests[1]?.body.messages.filter((m) => m.role === "tool")).toHaveLength(2);
    expect(await page.getByRole("article", { name: "Assistant" }).count()).toBe(2);
  });

  it("does not send a message while a cell runs, and keeps what was written", async () => {
    const page = await visit(await newProfile(), stack.plain.url);
    const cell = await proposeAndRun(page, 'import time\ntime.sleep(2)\nprint("slept")');
    await cell.getByText("Running", { exact: true }).waitFor();
    await composer(page).fill("A question while it runs");
    expect(await page.getByRole("button", { name: "Send" }).isDisabled()).toBe(true);
    await composer(page).press("Enter");
    await cell.locator(".stdout").getByText("slept").waitFor();
    expect(await composer(page).inputValue()).toBe("A question while it runs");
    await lastAnswer(page).getByText('The program ran. It printed: "slept"').waitFor();
  });

  it("shows a cell that prints a great deal without freezing, and tells the model a short report", async () => {
    const page = await visit(await newProfile(), stack.plain.url);
    const me = await accountOf(page);
    const cell = await proposeAndRun(page, 'for i in range(200_000):\n    print("line", i)');
    await cell.locator(".stdout").getByText("line 199999").waitFor({ timeout: 60_000 });
    await cell.getByText(/output in the middle not shown/).waitFor();
    await ready(page);
    const [row] =
      await sql`select output from agent_tool_calls where account_id = ${me.account_id}`;
    const stored = String(row?.output ?? "");
    expect(new TextEncoder().encode(stored).length).toBeLessThanOrEqual(8 * 1024);
    expect(stored).toContain("line 0");
    expect(stored).toContain("line 199999");
    expect(stored).toContain("[output truncated]");
  });
});
