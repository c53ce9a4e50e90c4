// `npm run screenshots`: the README's pictures of the main states (empty, streaming, a cell
// waiting for approval, a cell with output and an image, an error, a phone), taken in headless
// Chromium against `npm run dev` with the scripted demo, into docs/screenshots/.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import postgres from "postgres";
import { CHROMIUM_ARGS, startDevServer } from "./lib/dev-server.mjs";
import { ROOT } from "./lib/local-config.mjs";
import { applyMigrations, createDatabase, startCluster } from "./lib/postgres.mjs";

const OUT = join(ROOT, "docs/screenshots");
async function ready(page) {
  await page.getByTestId("quota-limit").waitFor({ timeout: 30_000 });
  await page.getByText("Ready", { exact: true }).waitFor({ timeout: 60_000 });
}

async function send(page, text) {
  await page.getByRole("textbox", { name: "Message" }).fill(text);
  await page.getByRole("textbox", { name: "Message" }).press("Enter");
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  const cluster = await startCluster();
  const databaseUrl = await createDatabase(cluster.url, "gradual_screenshots");
  await applyMigrations(databaseUrl);
  const dev = await startDevServer(databaseUrl);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: CHROMIUM_ARGS,
  });
  const shot = (page, name) => page.screenshot({ path: join(OUT, `${name}.png`) });
  try {
    const context = await browser.newContext({ viewport: { width: 1360, height: 820 } });
    const page = await context.newPage();
    await page.goto(dev.base);
    await ready(page);
    await shot(page, "empty");

    // The demo answers at a model's pace: mid-answer, the cell is still being written.
    await send(page, "Save a multiplication table to /data and show it");
    await page.getByText("Writing…").waitFor({ timeout: 30_000 });
    await page.waitForTimeout(1_200);
    await shot(page, "streaming");
    await page.getByRole("button", { name: "Run" }).waitFor({ timeout: 30_000 });

    await page.getByRole("button", { name: "New chat" }).click();
    await send(page, "Draw a colour gradient as a PNG");
    await page.getByRole("button", { name: "Run" }).waitFor();
    await page.locator(".cell textarea").evaluate((box) => {
      box.scrollIntoView({ block: "start" });
    });
    await shot(page, "cell-waiting");
    await page.getByRole("button", { name: "Run" }).click();
    await page.getByText(/The program ran/).waitFor({ timeout: 60_000 });
    await page.locator(".output img").scrollIntoViewIfNeeded();
    await shot(page, "cell-output");

    const { account_id: account } = await page.evaluate(() =>
      fetch("/api/me").then((r) => r.json()),
    );
    const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
    await sql`update quota_buckets set used_tokens = limit_tokens where account_id = ${account}`;
    await sql.end();
    await send(page, "Now plot it as a histogram");
    await page.getByRole("alert").waitFor();
    await shot(page, "error");

    const phone = await browser.newContext({
      viewport: { width: 360, height: 760 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    const small = await phone.newPage();
    await small.goto(dev.base);
    await small.getByTestId("quota-limit").waitFor({ timeout: 30_000 });
    await send(small, "Save a multiplication table to /data and show it");
    await small.getByRole("button", { name: "Run" }).click();
    await small.getByText(/The program ran/).waitFor({ timeout: 60_000 });
    await small.getByRole("table").scrollIntoViewIfNeeded();
    await shot(small, "phone");

    const dark = await browser.newContext({
      viewport: { width: 1360, height: 820 },
      colorScheme: "dark",
    });
    const night = await dark.newPage();
    await night.goto(dev.base);
    await ready(night);
    await send(night, "List the primes below 100");
    await night.getByRole("button", { name: "Run" }).click();
    await night.getByText(/The program ran/).waitFor({ timeout: 60_000 });
    await shot(night, "dark");
    console.log(`screenshots: written to ${OUT}`);
  } finally {
    await browser.close();
    await dev.stop();
    cluster.stop();
  }
}

main().catch((error) => {
  console.error(`screenshots: ${error.stack ?? error}`);
  process.exitCode = 1;
});
