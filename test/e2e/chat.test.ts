// Talking to the agent: answers stream in token by token, Stop keeps what arrived (and the
// server charges only that), the quota meter follows, and an exhausted quota is explained.
import { describe, expect, it } from "vitest";
import {
  accountOf,
  composer,
  lastAnswer,
  modelRequests,
  newProfile,
  scripted,
  send,
  sql,
  stack,
  visit,
} from "./support";

describe("a conversation", () => {
  it("streams the answer token by token; Stop keeps the partial answer and the server records what streamed", async () => {
    const page = await visit(await newProfile(), stack.plain.url);
    const label = `stream-${crypto.randomUUID()}`;
    await send(page, scripted(label, { tokens: 400, chunk_delay_ms: 40 }));
    const answer = lastAnswer(page);
    const lengths: number[] = [];
    for (let i = 0; i < 4; i++) {
      await page.waitForTimeout(400);
      lengths.push((await answer.innerText()).length);
    }
    // Growing while it streams, one piece at a time, not all at once at the end.
    expect(lengths[0]).toBeGreaterThan(0);
    for (let i = 1; i < lengths.length; i++)
      expect(lengths[i]).toBeGreaterThan(lengths[i - 1] ?? 0);
    expect(await page.getByRole("log").getAttribute("aria-busy")).toBe("true");

    await page.getByRole("button", { name: "Stop the answer" }).click();
    await answer.getByText("Stopped", { exact: true }).waitFor();
    const shown = (await answer.locator(".markdown").innerText()).trim();
    await page.waitForTimeout(500);
    expect((await answer.locator(".markdown").innerText()).trim()).toBe(shown);
    expect(shown.split(/\s+/).length).toBeLessThan(400);

    const me = await accountOf(page);
    await expect
      .poll(
        async () =>
          (await sql`select status from usage_log where account_id = ${me.account_id}`)[0]?.status,
      )
      .toBe("aborted");
    const [usage] =
      await sql`select completion_tokens, debited_tokens from usage_log where account_id = ${me.account_id}`;
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    expect(usage?.completion_tokens).toBeLessThan(400);
    const [stored] = await sql`
      select content, finish_reason from agent_messages
      where account_id = ${me.account_id} and role = 'assistant'`;
    expect(stored?.finish_reason).toBe("aborted");
    // What was shown is what was stored (the server is at most one chunk ahead).
    expect(String(stored?.content).trim().startsWith(shown)).toBe(true);
    const [request] = await modelRequests(stack.plain.modelUrl, label);
    expect(request?.outcome).toBe("cancelled");
  });

  it("moves the quota meter after a turn, and explains an exhausted quota with its reset time", async () => {
    const page = await visit(await newProfile(), stack.plain.url);
    const me = await accountOf(page);
    expect(await page.getByTestId("quota-used").innerText()).toBe("0");
    await send(page, scripted("quota", { reply: "Counted." }));
    await lastAnswer(page).getByText("Counted.").waitFor();
    const [bucket] =
      await sql`select used_tokens, limit_tokens from quota_buckets where account_id = ${me.account_id}`;
    expect(bucket?.used_tokens).toBeGreaterThan(0);
    await expect
      .poll(() => page.getByTestId("quota-used").innerText())
      .toBe(new Intl.NumberFormat("en-US").format(Number(bucket?.used_tokens)));

    await sql`update quota_buckets set used_tokens = limit_tokens where account_id = ${me.account_id}`;
    const text = "Another question, please";
    await send(page, text);
    const alert = page.getByRole("alert");
    await alert
      .getByText(
        /You've used today's token quota\. It resets at \d{1,2}:\d\d(?: [AP]M)? \(in .+\)\. Sign in for a higher daily limit\./,
      )
      .waitFor();
    await alert.getByRole("button", { name: "Sign in with Loopback ID" }).waitFor();
    // Nothing was recorded, and the message is back in the box for later.
    expect(await composer(page).inputValue()).toBe(text);
    const messages =
      await sql`select content from agent_messages where account_id = ${me.account_id} and role = 'user'`;
    expect(messages.map((m) => m.content)).toEqual(['quota\n@scripted {"reply":"Counted."}']);
  });
});
