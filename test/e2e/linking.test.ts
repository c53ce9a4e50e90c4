// Signing in from an anonymous session: a new identity takes the account over (same
// transcript, same /data, a higher limit), and an identity that already had an account gets
// this browser's anonymous work merged in, files included.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import {
  accountOf,
  lastAnswer,
  listedFiles,
  newProfile,
  proposeAndRun,
  ready,
  scripted,
  send,
  signInAs,
  sql,
  stack,
  uniqueLogin,
  visit,
} from "./support";

async function signInThroughPage(page: Page) {
  const back = page.url();
  const callback = page.waitForResponse((r) => r.url().includes("/api/auth/callback/oidc"));
  await page.getByRole("button", { name: "Sign in with Loopback ID" }).first().click();
  // Out to the provider and back to where the person was.
  await callback;
  await page.waitForURL(back, { timeout: 30_000 });
  await ready(page);
}

describe("signing in", () => {
  it("keeps the transcript and /data and raises the limit; a reload then continues the same session", async () => {
    const profile = await newProfile();
    await signInAs(profile, uniqueLogin("takeover"));
    const page = await visit(profile, stack.plain.url);
    const before = await accountOf(page);
    const cell = await proposeAndRun(
      page,
      'open("/data/linked.txt", "w").write("kept")\nprint("saved")',
    );
    await lastAnswer(page).getByText('The program ran. It printed: "saved"').waitFor();
    await expect.poll(() => listedFiles(page)).toContain("linked.txt");
    const session = page.url();
    expect(await cell.isVisible()).toBe(true);

    await signInThroughPage(page);
    const after = await accountOf(page);
    expect(after).toMatchObject({
      account_id: before.account_id,
      tier: "free",
      is_anonymous: false,
    });
    await page
      .getByRole("status")
      .getByText(/Signed in as takeover-/)
      .waitFor();
    await expect.poll(() => page.getByTestId("quota-limit").textContent()).toBe("200,000");
    await lastAnswer(page).getByText('The program ran. It printed: "saved"').waitFor();
    await expect.poll(() => listedFiles(page), { timeout: 20_000 }).toContain("linked.txt");

    await page.reload();
    await ready(page);
    expect(page.url()).toBe(session);
    await send(page, scripted("after linking", { reply: "Still the same conversation." }));
    await lastAnswer(page).getByText("Still the same conversation.").waitFor();
    const sessionId = session.split("/").at(-1) ?? "";
    const rows = await sql`
      select role from agent_messages where session_id = ${sessionId} order by seq`;
    expect(rows.map((r) => r.role)).toEqual([
      "user",
      "assistant",
      "assistant",
      "user",
      "assistant",
    ]);
    const [owner] = await sql`select account_id from agent_sessions where id = ${sessionId}`;
    expect(owner?.account_id).toBe(before.account_id);
  });

  it("merges this browser's anonymous work, files included, into the account the identity already had", async () => {
    const login = uniqueLogin("merge");
    // Elsewhere, earlier: the person made their account (and a conversation) on another device.
    const elsewhere = await newProfile();
    await signInAs(elsewhere, login);
    const other = await visit(elsewhere, stack.plain.url);
    await send(other, scripted("From the laptop", { reply: "Laptop answer." }));
    await lastAnswer(other).getByText("Laptop answer.").waitFor();
    await signInThroughPage(other);
    const existing = await accountOf(other);

    // Here: anonymous work, then signing in as the same person.
    const here = await newProfile();
    await signInAs(here, login);
    const page = await visit(here, stack.plain.url);
    const anonymous = await accountOf(page);
    await proposeAndRun(page, 'open("/data/from-phone.txt", "w").write("phone")\nprint("done")');
    await lastAnswer(page).getByText('The program ran. It printed: "done"').waitFor();
    await expect.poll(() => listedFiles(page)).toContain("from-phone.txt");

    await signInThroughPage(page);
    const merged = await accountOf(page);
    expect(merged.account_id).toBe(existing.account_id);
    expect(merged.account_id).not.toBe(anonymous.account_id);
    await page
      .getByRole("status")
      .getByText(/added to your account/)
      .waitFor();
    // Both conversations, this one still open; the file moved into the surviving account's /data.
    const sidebar = page.getByRole("navigation", { name: "Conversations" });
    await sidebar.getByRole("button", { name: "From the laptop", exact: true }).waitFor();
    await lastAnswer(page).getByText('The program ran. It printed: "done"').waitFor();
    await expect.poll(() => listedFiles(page), { timeout: 20_000 }).toContain("from-phone.txt");
    await page.reload();
    await ready(page);
    await expect.poll(() => listedFiles(page), { timeout: 20_000 }).toContain("from-phone.txt");
    const gone = await sql`select id from accounts where id = ${anonymous.account_id}`;
    expect(gone).toEqual([]);
  });
});
