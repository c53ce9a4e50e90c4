// The admin page: a person who signed in through the page (in development anyone signed in is
// staff) sees their account, in the app's design; the tabs switch; a bucket's limit is changed
// in place, checked before it is sent, and lands in the database.
import { describe, expect, it } from "vitest";
import { accountOf, newProfile, ready, signInAs, sql, stack, uniqueLogin, visit } from "./support";

describe("the admin page", () => {
  it("shows a signed-in person's account in the app's design, switches tabs, and sets a bucket's limit in place", async () => {
    const context = await newProfile();
    const login = uniqueLogin("admin");
    await signInAs(context, login);
    // Anonymous first, then signed in through the page's own button.
    const page = await visit(context, stack.plain.url);
    await page.getByRole("button", { name: "Sign in with Loopback ID" }).first().click();
    await page.getByText(`Signed in as ${login}`).waitFor({ timeout: 30_000 });
    await ready(page);
    const me = await accountOf(page);
    expect(me).toMatchObject({ is_anonymous: false });

    await page.goto(`${stack.plain.url}/admin`);
    await page.getByRole("tab", { name: "Accounts", selected: true }).waitFor();
    const panel = page.getByRole("tabpanel", { name: "Accounts" });
    const mine = panel.getByRole("button", { name: new RegExp(`${login}@example\\.test`) });
    await mine.waitFor();

    // Styled by the app's design system, not the browser's defaults.
    const style = (selector: string, property: string) =>
      page
        .locator(selector)
        .first()
        .evaluate((el, p) => getComputedStyle(el).getPropertyValue(p), property);
    expect(await style("body", "font-family")).not.toMatch(/times|^serif$/i);
    expect(await style("body", "font-family")).toContain("system-ui");
    expect(await style(".admin-panel .button", "border-radius")).not.toBe("0px");
    expect(await style(".admin-panel table", "border-collapse")).toBe("collapse");
    expect(await style('[role="tab"][aria-selected="true"]', "border-bottom-style")).toBe("solid");
    expect(await style("body", "background-color")).not.toBe("rgba(0, 0, 0, 0)");

    // The Usage tab: the log, or the sentence saying there is none yet.
    await page.getByRole("tab", { name: "Usage" }).click();
    await page.getByRole("tab", { name: "Usage", selected: true }).waitFor();
    const usage = page.getByRole("tabpanel", { name: "Usage" });
    await usage
      .getByRole("region", { name: "Usage log" })
      .or(usage.getByText("No usage yet"))
      .waitFor();
    await usage.getByLabel("Model").waitFor();
    await usage.getByRole("button", { name: "Filter" }).waitFor();

    // Back to Accounts: open the account and set today's bucket limit through the inline form.
    await page.getByRole("tab", { name: "Accounts" }).click();
    await mine.click();
    await page.getByRole("button", { name: /^Edit the limit/ }).click();
    const field = page.getByRole("spinbutton", { name: /New limit in tokens/ });
    await field.fill("12.5");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByRole("alert").getByText("Enter a whole number of tokens, 0 or more.").waitFor();
    expect(await field.getAttribute("aria-invalid")).toBe("true");

    const limit = 43_210;
    await field.fill(String(limit));
    await page.getByRole("button", { name: "Save" }).click();
    const shown = await page.evaluate((n) => n.toLocaleString(), limit);
    await expect.poll(() => page.getByTestId("bucket-limit").first().textContent()).toBe(shown);
    await page.getByRole("status").getByText(`is now ${shown} tokens`).waitFor();
    await expect
      .poll(async () => {
        const rows =
          await sql`select limit_tokens from quota_buckets where account_id = ${me.account_id}`;
        return rows.map((r) => r.limit_tokens);
      })
      .toContain(limit);
    // Today's column of the accounts list follows, and the change is on the audit trail.
    await expect.poll(() => mine.locator("xpath=ancestor::tr").innerText()).toContain(shown);
    const [entry] =
      await sql`select action, actor_email, after from admin_audit where target_account_id = ${me.account_id}`;
    expect(entry).toMatchObject({
      action: "bucket.limit",
      actor_email: `${login}@example.test`,
      after: { limit_tokens: limit },
    });

    // On a 360 px phone the page itself does not scroll sideways (the tables do, inside).
    await page.setViewportSize({ width: 360, height: 780 });
    await expect
      .poll(() => page.evaluate(() => document.documentElement.scrollWidth))
      .toBeLessThanOrEqual(360);
  });
});
