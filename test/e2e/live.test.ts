// A second tab of the same account sees what the first one does without a reload: the new
// conversation in its sidebar, the new messages, the quota. With plain reads (polling) and with
// live sync (Electric's protocol, through the Worker, against the stand-in).
import type { BrowserContext } from "playwright-core";
import { describe, expect, it } from "vitest";
import { accountOf, lastAnswer, newProfile, scripted, send, sql, stack, visit } from "./support";

async function secondTabSeesTheFirst(profile: BrowserContext, base: string) {
  const first = await visit(profile, base);
  const second = await visit(profile, base);
  const label = `Shared ${crypto.randomUUID().slice(0, 8)}`;

  await send(first, scripted(label, { reply: "Seen in both tabs." }));
  await lastAnswer(first).getByText("Seen in both tabs.").waitFor();
  // What the books say once the turn has settled; both tabs come to show it.
  const { account_id } = await accountOf(first);
  const [bucket] =
    await sql`select used_tokens from quota_buckets where account_id = ${account_id}`;
  const used = new Intl.NumberFormat("en-US").format(Number(bucket?.used_tokens));
  await expect.poll(() => first.getByTestId("quota-used").textContent()).toBe(used);

  const sidebar = second.getByRole("navigation", { name: "Conversations" });
  const entry = sidebar.getByRole("button", { name: label, exact: false }).first();
  await entry.waitFor({ timeout: 15_000 });
  await expect
    .poll(() => second.getByTestId("quota-used").textContent(), { timeout: 15_000 })
    .toBe(used);
  await entry.click();
  await lastAnswer(second).getByText("Seen in both tabs.").waitFor();

  // Both on the conversation now: the next turn in the first tab appears in the second.
  await send(first, scripted("And a follow-up", { reply: "The follow-up answer." }));
  await lastAnswer(first).getByText("The follow-up answer.").waitFor();
  await lastAnswer(second).getByText("The follow-up answer.").waitFor({ timeout: 15_000 });
  await second.getByRole("article", { name: "You" }).getByText("And a follow-up").waitFor();
}

describe("a second tab", () => {
  it("sees the new conversation, its messages and the quota without a reload (plain reads)", async () => {
    await secondTabSeesTheFirst(await newProfile(), stack.plain.url);
  });

  it("sees them through live sync (Electric's protocol via /api/sync)", async () => {
    const profile = await newProfile();
    const shapes: string[] = [];
    profile.on("request", (r) => {
      if (r.url().includes("/api/sync/")) shapes.push(new URL(r.url()).pathname);
    });
    await secondTabSeesTheFirst(profile, stack.live.url);
    // The page really followed shapes (and did not fall back to the plain reads' polling).
    expect(new Set(shapes)).toEqual(
      new Set([
        "/api/sync/quota_buckets",
        "/api/sync/agent_sessions",
        "/api/sync/agent_messages",
        "/api/sync/agent_tool_calls",
      ]),
    );
  });
});
