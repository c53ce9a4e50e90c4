// Data to work on: a file the person drops stays in the browser and a cell reads it; "Erase my
// files" empties /data for good; a mounted dataset is downloaded once through the app, read with
// the standard library, still there after a reload, and announced to the model.
import { describe, expect, it } from "vitest";
import {
  lastAnswer,
  listedFiles,
  modelRequests,
  newProfile,
  proposeAndRun,
  ready,
  runAnswered,
  scripted,
  send,
  sourceRequests,
  stack,
  visit,
  workspace,
} from "./support";

describe("data in /data", () => {
  it("puts a dropped CSV in /data, where a cell reads it, without sending its bytes anywhere", async () => {
    const page = await visit(await newProfile(), stack.plain.url);
    const marker = `marker${crypto.randomUUID().slice(0, 8)}`;
    const bodies: string[] = [];
    page.on("request", (r) => bodies.push(`${r.url()} ${r.postData() ?? ""}`));
    const text = `city,visits\nLyon,3\n${marker},4\n`;
    const drop = await page.evaluateHandle((content) => {
      const data = new DataTransfer();
      data.items.add(new File([content], "mine.csv", { type: "text/csv" }));
      return data;
    }, text);
    await page.dispatchEvent("main", "dragenter", { dataTransfer: drop });
    await page.getByText("It stays in this browser: nothing is uploaded.").waitFor();
    await page.dispatchEvent("main", "drop", { dataTransfer: drop });
    await page
      .getByRole("list", { name: "In /data for the agent" })
      .getByText("mine.csv")
      .waitFor();
    await expect.poll(() => listedFiles(page)).toContain("mine.csv");

    const cell = await proposeAndRun(
      page,
      'import csv\nrows = list(csv.DictReader(open("/data/mine.csv")))\nprint(sum(int(r["visits"]) for r in rows))',
    );
    await cell.locator(".stdout").getByText("7").waitFor();
    await runAnswered(page);
    // The file's bytes went nowhere (the cell's report only has its output).
    expect(bodies.filter((b) => b.includes(marker))).toEqual([]);
    // The model is told the file is there, with its header row.
    await send(page, scripted("what do I have", { reply: "Noted." }));
    await lastAnswer(page).getByText("Noted.").waitFor();
    const [request] = await modelRequests(stack.plain.modelUrl, "what do I have");
    expect(String(request?.body.messages[0]?.content)).toContain(
      `- /data/mine.csv (CSV, ${new TextEncoder().encode(text).length} B; header: city,visits)`,
    );
  });

  it("erases every file in /data, and it stays empty after a reload", async () => {
    const page = await visit(await newProfile(), stack.plain.url);
    await proposeAndRun(
      page,
      'import os\nos.makedirs("/data/sub", exist_ok=True)\nopen("/data/a.txt", "w").write("a")\nopen("/data/sub/b.txt", "w").write("b")\nprint("two files")',
    );
    await expect.poll(() => listedFiles(page)).toEqual(["a.txt", "sub/b.txt"]);
    // An answer still coming in would go on after the reload, and the composer would wait for it.
    await runAnswered(page);
    const panel = await workspace(page);
    page.once("dialog", (dialog) => void dialog.accept());
    await panel.getByRole("button", { name: "Erase my files" }).click();
    await expect.poll(() => listedFiles(page)).toEqual([]);
    await page.reload();
    await ready(page);
    const look = await proposeAndRun(page, 'import os\nprint(sorted(os.listdir("/data")))');
    await look.locator(".stdout").getByText("[]").waitFor();
    expect(await listedFiles(page)).toEqual([]);
  });

  it("mounts a dataset once: a cell reads it with csv, it survives a reload without a new download, and the model is told its columns", async () => {
    const page = await visit(await newProfile(), stack.plain.url);
    const before = await sourceRequests("penguins");
    const panel = await workspace(page);
    await panel.getByRole("button", { name: /^Mount .*[Pp]enguins/ }).click();
    await page
      .getByRole("list", { name: "In /data for the agent" })
      .getByText("penguins.csv")
      .waitFor();
    expect(await sourceRequests("penguins")).toBe(before + 1);

    const cell = await proposeAndRun(
      page,
      'import csv\nfrom collections import Counter\nrows = list(csv.DictReader(open("/data/penguins.csv")))\nprint(len(rows), sorted(Counter(r["species"] for r in rows).items()))',
    );
    await cell
      .locator(".stdout")
      .getByText(/^344 \[\('Adelie', 152\)/)
      .waitFor();
    await runAnswered(page);

    const downloads: string[] = [];
    page.on("request", (r) => {
      if (r.url().includes("/api/datasets/")) downloads.push(r.url());
    });
    await page.reload();
    await ready(page);
    // The chip shows at once, from this browser; the file is still in /data.
    await page
      .getByRole("list", { name: "In /data for the agent" })
      .getByText("penguins.csv")
      .waitFor();
    await expect.poll(() => listedFiles(page)).toContain("penguins.csv");
    expect(downloads).toEqual([]);
    expect(await sourceRequests("penguins")).toBe(before + 1);

    await send(page, scripted("tell me about penguins", { reply: "Sure." }));
    await lastAnswer(page).getByText("Sure.").waitFor();
    const [request] = await modelRequests(stack.plain.modelUrl, "tell me about penguins");
    const system = String(request?.body.messages[0]?.content);
    expect(system).toContain("/data/penguins.csv (CSV, 344 rows; columns: species (string)");
    expect(system).toContain("body_mass_g");
  });
});
