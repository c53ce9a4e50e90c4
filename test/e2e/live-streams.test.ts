// An answer in flight lives in every tab: a reload mid-answer continues the same answer, a
// second tab on the conversation shows the tokens as they come, and Stop there stops it for both.
import { describe, expect, it } from "vitest";
import {
  accountOf,
  lastAnswer,
  newProfile,
  ready,
  scripted,
  send,
  sql,
  stack,
  visit,
} from "./support";

/** A reply whose every word is different, so a duplicated or missing piece shows. */
const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i + 1}`).join(" ");

describe("an answer in flight", () => {
  it("continues after a reload, with no duplicated or missing text", async () => {
    const profile = await newProfile();
    const page = await visit(profile, stack.plain.url);
    const reply = words(120);
    await send(page, scripted(`reload-${crypto.randomUUID()}`, { reply, chunk_delay_ms: 50 }));
    await lastAnswer(page)
      .getByText(/^w1 w2 w3/)
      .waitFor();
    await page.waitForTimeout(800);
    await page.reload();
    await ready(page);
    // The partial answer is back, and goes on to the end.
    await lastAnswer(page).getByText(/w120$/).waitFor({ timeout: 30_000 });
    await expect
      .poll(async () => (await lastAnswer(page).locator(".markdown").innerText()).trim())
      .toBe(reply);
    // Stored once, whole.
    const me = await accountOf(page);
    const stored = await sql`
      select content, finish_reason from agent_messages
      where account_id = ${me.account_id} and role = 'assistant'`;
    expect(stored).toEqual([{ content: reply, finish_reason: "stop" }]);
    expect(await page.getByRole("article", { name: "You" }).count()).toBe(1);
  });

  it("shows the tokens live in a second tab, and Stop there stops it in both", async () => {
    const profile = await newProfile();
    const first = await visit(profile, stack.plain.url);
    const reply = words(300);
    await send(first, scripted(`both-${crypto.randomUUID()}`, { reply, chunk_delay_ms: 60 }));
    await lastAnswer(first)
      .getByText(/^w1 w2/)
      .waitFor();
    const second = await visit(profile, stack.plain.url, new URL(first.url()).pathname);
    const shown = () => lastAnswer(second).locator(".markdown").innerText();
    await lastAnswer(second)
      .getByText(/^w1 w2/)
      .waitFor({ timeout: 15_000 });
    const early = (await shown()).length;
    await second.waitForTimeout(600);
    expect((await shown()).length).toBeGreaterThan(early);

    await second.getByRole("button", { name: "Stop the answer" }).click();
    await lastAnswer(second).getByText("Stopped", { exact: true }).waitFor();
    await lastAnswer(first).getByText("Stopped", { exact: true }).waitFor();
    const me = await accountOf(first);
    await expect
      .poll(
        async () =>
          (await sql`select status from usage_log where account_id = ${me.account_id}`)[0]?.status,
      )
      .toBe("aborted");
    const [stored] = await sql`
      select content from agent_messages where account_id = ${me.account_id} and role = 'assistant'`;
    const kept = String(stored?.content ?? "");
    expect(kept.length).toBeGreaterThan(0);
    expect(reply.startsWith(kept.trim())).toBe(true);
    expect(kept.trim()).not.toBe(reply);
  });
});
