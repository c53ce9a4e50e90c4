// /data belongs to the account and lives in the browser: a file a cell wrote is there after a
// reload (read from IndexedDB, not the network), and another visitor on the same browser never
// sees it. A cell waiting for approval is still waiting after a reload, and the loop resumes.
import { describe, expect, it } from "vitest";
import {
  accountOf,
  lastAnswer,
  lastCell,
  listedFiles,
  modelRequests,
  newProfile,
  proposeAndRun,
  proposing,
  ready,
  runLastCell,
  send,
  stack,
  visit,
} from "./support";

describe("/data", () => {
  it("keeps a file a cell wrote across a reload, readable by the next cell with no network fetch, and hidden from the next visitor on the same browser", async () => {
    const profile = await newProfile();
    const page = await visit(profile, stack.plain.url);
    const first = await accountOf(page);
    const write = await proposeAndRun(
      page,
      'import csv\nwith open("/data/x.csv", "w", newline="") as f:\n    csv.writer(f).writerows([["city", "km"], ["Lyon", 465], ["Nice", 930]])\nprint("written")',
    );
    await write.locator(".stdout").getByText("written").waitFor();
    await expect.poll(() => listedFiles(page)).toContain("x.csv");

    const fetched: string[] = [];
    page.on("request", (r) => fetched.push(r.url()));
    await page.reload();
    await ready(page);
    await expect.poll(() => listedFiles(page), { timeout: 20_000 }).toContain("x.csv");
    const read = await proposeAndRun(
      page,
      'import csv\nrows = list(csv.reader(open("/data/x.csv")))\nprint(sum(int(km) for _, km in rows[1:]))',
    );
    await read.locator(".stdout").getByText("1395").waitFor();
    expect(fetched.filter((url) => url.includes("x.csv"))).toEqual([]);

    // Someone else on this browser: a new anonymous account, and /data of their own.
    await profile.clearCookies();
    await page.goto(stack.plain.url);
    await ready(page);
    const second = await accountOf(page);
    expect(second.account_id).not.toBe(first.account_id);
    const look = await proposeAndRun(page, 'import os\nprint(sorted(os.listdir("/data")))');
    await look.locator(".stdout").getByText("[]").waitFor();
    expect(await listedFiles(page)).not.toContain("x.csv");
  });

  it("keeps a cell waiting for approval across a reload; running it then continues the conversation with the full history", async () => {
    const page = await visit(await newProfile(), stack.plain.url);
    const label = `resume-${crypto.randomUUID()}`;
    await send(page, proposing(label, 'print("after the reload")', "Run this when you are ready."));
    await lastCell(page).getByRole("button", { name: "Run" }).waitFor();
    const url = page.url();
    expect(url).toMatch(/\/s\/[0-9a-f-]{36}$/);

    await page.reload();
    await ready(page);
    expect(page.url()).toBe(url);
    await lastAnswer(page).getByText("Run this when you are ready.").waitFor();
    await lastCell(page).getByText("Waiting for your approval").waitFor();
    const cell = await runLastCell(page);
    await cell.locator(".stdout").getByText("after the reload").waitFor();
    await lastAnswer(page).getByText('The program ran. It printed: "after the reload"').waitFor();

    const requests = await modelRequests(stack.plain.modelUrl, label);
    const messages = requests.at(-1)?.body.messages ?? [];
    expect(messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "tool"]);
    expect(String(messages[1]?.content)).toContain(label);
    expect(messages[2]).toMatchObject({
      role: "assistant",
      content: "Run this when you are ready.",
    });
    expect(String(messages[3]?.content)).toContain("after the reload");
  });
});
