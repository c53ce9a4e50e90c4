// The agent loop around a cell: the person edits and runs the proposal (what ran is what is
// stored and what the model hears), skips it, or it raises; a runaway cell meets the time limit
// while the page stays responsive; the examples run; a missing package fails clearly.
import { describe, expect, it } from "vitest";
import {
  accountOf,
  composer,
  expectViolations,
  lastAnswer,
  lastCell,
  modelRequests,
  newProfile,
  proposeAndRun,
  proposing,
  runLastCell,
  send,
  sql,
  stack,
  visit,
  workspace,
} from "./support";

async function toolCalls(accountId: string) {
  return sql`
    select proposed_code, executed_code, status, output from agent_tool_calls
    where account_id = ${accountId} order by created_at`;
}

describe("a proposed cell", () => {
  it("runs what the person edited: that is what ran, what was stored, and what the model was told", async () => {
    const page = await visit(await newProfile(), stack.plain.url);
    const me = await accountOf(page);
    const label = `edit-${crypto.randomUUID()}`;
    await send(page, proposing(label, 'print("as proposed")'));
    const edited = 'message = "edited by a person"\nprint(message.upper())';
    const cell = await runLastCell(page, edited);
    await cell.getByText("EDITED BY A PERSON").waitFor();
    await cell.getByText("Edited", { exact: true }).waitFor();
    // The loop carries on by itself with what really happened.
    await lastAnswer(page).getByText('The program ran. It printed: "EDITED BY A PERSON"').waitFor();

    const [call] = await toolCalls(me.account_id);
    expect(call).toMatchObject({
      proposed_code: 'print("as proposed")',
      executed_code: edited,
      status: "done",
    });
    expect(call?.output).toContain("EDITED BY A PERSON");
    const next = (await modelRequests(stack.plain.modelUrl, label)).at(-1);
    const tool = next?.body.messages.at(-1);
    expect(tool?.role).toBe("tool");
    expect(String(tool?.content)).toContain(`The code that ran:\n\`\`\`python\n${edited}\n\`\`\``);
    expect(String(tool?.content)).toContain("EDITED BY A PERSON");
    expect(String(tool?.content)).not.toContain("as proposed");
  });

  it("records a skip, and the model is told nothing ran", async () => {
    const page = await visit(await newProfile(), stack.plain.url);
    const me = await accountOf(page);
    const label = `skip-${crypto.randomUUID()}`;
    await send(page, proposing(label, 'print("never")'));
    await lastCell(page).getByRole("button", { name: "Skip" }).click();
    await lastAnswer(page)
      .getByText(/You skipped the program, so nothing ran/)
      .waitFor();
    const [call] = await toolCalls(me.account_id);
    expect(call).toMatchObject({ status: "skipped", executed_code: null, output: null });
    const tool = (await modelRequests(stack.plain.modelUrl, label)).at(-1)?.body.messages.at(-1);
    expect(tool).toMatchObject({
      role: "tool",
      content: "The person skipped this code: it did not run.",
    });
  });

  it("shows a traceback when the cell raises, and the model receives it", async () => {
    const page = await visit(await newProfile(), stack.plain.url);
    const me = await accountOf(page);
    const label = `raise-${crypto.randomUUID()}`;
    await send(page, proposing(label, "def ratio(a, b):\n    return a / b\n\nprint(ratio(1, 0))"));
    const cell = await runLastCell(page);
    const traceback = cell.locator(".traceback");
    await traceback.waitFor();
    const text = await traceback.innerText();
    expect(text).toContain("Traceback (most recent call last):");
    expect(text).toContain('File "cell.py", line 4, in <module>');
    expect(text).toContain("return a / b");
    expect(text).toContain("ZeroDivisionError: division by zero");
    // Only the cell's own frames, not the interpreter's.
    expect(text).not.toContain("_pyodide");
    await cell.getByText("Failed", { exact: true }).waitFor();
    await lastAnswer(page)
      .getByText(/The program stopped with an error: "ZeroDivisionError/)
      .waitFor();
    const [call] = await toolCalls(me.account_id);
    expect(call?.status).toBe("error");
    expect(call?.output).toContain("ZeroDivisionError: division by zero");
    const tool = (await modelRequests(stack.plain.modelUrl, label)).at(-1)?.body.messages.at(-1);
    expect(String(tool?.content)).toContain("It failed.");
    expect(String(tool?.content)).toContain("ZeroDivisionError: division by zero");
  });

  it("stops `while True: pass` at the time limit while the page stays responsive, and the next cell runs", async () => {
    const page = await visit(await newProfile(), stack.plain.url);
    const panel = await workspace(page);
    await panel.getByRole("spinbutton", { name: "Time limit per cell (s)" }).fill("3");
    await panel.getByRole("spinbutton", { name: "Time limit per cell (s)" }).blur();
    const kept = await proposeAndRun(page, "answer = 41");
    await kept.getByText("Ran", { exact: true }).waitFor();

    const runaway = await proposeAndRun(page, "while True:\n    pass");
    await runaway.getByText("Running", { exact: false }).waitFor();
    // The page answers while Python spins: typing, and a round trip through its event loop.
    const started = Date.now();
    await composer(page).fill("still typing");
    expect(await page.evaluate(() => 1 + 1)).toBe(2);
    expect(Date.now() - started).toBeLessThan(1_000);
    await runaway.getByText("Stopped after 3 s (the time limit).").waitFor({ timeout: 15_000 });
    await runaway.getByText("Failed", { exact: true }).waitFor();
    expect(await composer(page).inputValue()).toBe("still typing");
    await composer(page).fill("");

    // Interrupted in place (the page is cross-origin isolated): earlier variables are still there.
    const next = await proposeAndRun(page, "print(answer + 1)");
    await next.locator(".stdout").getByText("42").waitFor();
  });

  it("shows display()'s HTML sanitised and tells the model what was displayed", async () => {
    // The page's policy refuses the handler while the sanitiser parses it; it never runs.
    expectViolations(/inline event handler/);
    const page = await visit(await newProfile(), stack.plain.url);
    const me = await accountOf(page);
    const cell = await proposeAndRun(
      page,
      'display("<b>bold claim</b><img src=x onerror=\\"document.title=\'pwned\'\\"><script>document.title=\'pwned\'</script>", mime="text/html")\nprint("shown")',
    );
    await cell.locator(".html-output b").getByText("bold claim").waitFor();
    await cell.locator(".stdout").getByText("shown").waitFor();
    expect(await cell.locator(".html-output script").count()).toBe(0);
    expect(await cell.locator(".html-output [onerror]").count()).toBe(0);
    expect(await page.title()).not.toBe("pwned");
    await expect
      .poll(async () => (await toolCalls(me.account_id))[0]?.output)
      .toContain("[displayed HTML]\nbold claim");
  });

  it("runs the empty screen's examples with the scripted demo; a package it cannot fetch is named", async () => {
    const page = await visit(await newProfile(), stack.plain.url);
    await page.getByRole("button", { name: /Save a multiplication table to \/data/ }).click();
    const cell = await runLastCell(page);
    const table = cell.getByRole("table");
    await table.waitFor();
    expect(await table.getByRole("columnheader").first().textContent()).toBe("n");
    expect(await table.getByRole("row").count()).toBe(11);
    await cell.getByText("times-table.csv · 10 rows × 11 columns").waitFor();
    await lastAnswer(page)
      .getByText(/The program ran/)
      .waitFor();

    await page.getByRole("button", { name: "New chat" }).click();
    await send(page, "Draw a colour gradient as a PNG");
    const drawn = await runLastCell(page);
    const image = drawn.getByRole("img", { name: "Image gradient.png" });
    await image.waitFor();
    expect(
      await image.evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight]),
    ).toEqual([256, 128]);
    await lastAnswer(page)
      .getByText(/The program ran/)
      .waitFor();

    await send(page, "Plot a sine wave");
    const plot = await runLastCell(page);
    await plot
      .getByText(/A package this code imports could not be loaded, so nothing ran\..*matplotlib/)
      .waitFor({ timeout: 30_000 });
    await plot.getByText("Failed", { exact: true }).waitFor();
  });
});
