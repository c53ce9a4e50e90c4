// The page's figures for `npm run bench`, in headless Chromium (Debian's) against the app as
// `npm run dev` serves it: what the first load costs (script and style, gzipped), how soon the
// composer takes input, and how soon Python answers, cold and with the HTTP cache primed.
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, normalize } from "node:path";
import { gzipSync } from "node:zlib";
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS, startDevServer } from "./dev-server.mjs";
import { ROOT } from "./local-config.mjs";
import { freePort } from "./net.mjs";

const RUNS = 7;

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const ms = (n) => `${Math.round(n)} ms`;

/** The script and style index.html loads before anything else (entry, preloads, CSS). */
export function initialAssets(dist = join(ROOT, "client/dist")) {
  const html = readFileSync(join(dist, "index.html"), "utf8");
  const urls = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]);
  return urls.map((url) => {
    const bytes = readFileSync(join(dist, url));
    return { url, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  });
}

const TYPES = {
  ".html": "text/html",
  ".mjs": "text/javascript",
  ".js": "text/javascript",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".zip": "application/zip",
};
const FLOOR_PAGE = `<!doctype html><script type="module">
  window.floor = new Promise((resolve) => {
    const started = performance.now();
    const worker = new Worker("/floor-worker.mjs", { type: "module" });
    worker.onmessage = () => resolve(performance.now() - started);
  });
</script>`;
const floorWorker = (version) => `
  const { loadPyodide } = await import("/pyodide/${version}/pyodide.mjs");
  const py = await loadPyodide({ indexURL: "/pyodide/${version}/" });
  py.runPython("print('floor')");
  postMessage("done");`;

/**
 * The floor for Python's start: Pyodide alone, from the same files, in a bare worker on a bare
 * page (loadPyodide, then one print), served by a plain Node server with the same caching.
 */
async function floorServer(dist = join(ROOT, "client/dist")) {
  const version = JSON.parse(readFileSync(join(ROOT, "node_modules/pyodide/package.json"))).version;
  const server = createServer((req, res) => {
    const path = normalize(new URL(req.url ?? "/", "http://x").pathname);
    if (path === "/floor.html")
      return res.writeHead(200, { "content-type": TYPES[".html"] }).end(FLOOR_PAGE);
    if (path === "/floor-worker.mjs")
      return res.writeHead(200, { "content-type": TYPES[".mjs"] }).end(floorWorker(version));
    if (!path.startsWith("/pyodide/")) return res.writeHead(404).end();
    try {
      const body = readFileSync(join(dist, path));
      res
        .writeHead(200, {
          "content-type": TYPES[extname(path)] ?? "application/octet-stream",
          "cache-control": "public, max-age=31536000, immutable",
        })
        .end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  const port = await freePort();
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { base: `http://127.0.0.1:${port}`, stop: () => new Promise((r) => server.close(r)) };
}

/** Milliseconds from navigation until the composer has focus and takes input. */
async function composerReady(page) {
  const handle = await page.waitForFunction(
    () => {
      const box = document.getElementById("message");
      return box && document.activeElement === box && !box.disabled && performance.now();
    },
    null,
    { polling: "raf", timeout: 30_000 },
  );
  return handle.jsonValue();
}

/**
 * Sends a proposal, clicks Run when the cell appears (after `delayMs`), and returns the times
 * (page clock, ms) of the click and of the output, and when Python started and became ready.
 */
async function firstCell(page, delayMs) {
  const code = 'print("bench-" + "ok")';
  const text = `bench\n@scripted ${JSON.stringify({ reply: "x", tool_call: { name: "python_run", arguments: { code } } })}`;
  await page.getByRole("textbox", { name: "Message" }).fill(text);
  await page.getByRole("textbox", { name: "Message" }).press("Enter");
  const run = page.getByRole("button", { name: "Run" });
  await run.waitFor({ timeout: 30_000 });
  if (delayMs) await page.waitForTimeout(delayMs);
  const clicked = await page.evaluate(() => performance.now());
  await run.click();
  const output = await (
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll(".cell")]
          .at(-1)
          ?.querySelector(".stdout")
          ?.textContent?.includes("bench-ok") && performance.now(),
      null,
      { polling: "raf", timeout: 60_000 },
    )
  ).jsonValue();
  const marks = await page.evaluate(() =>
    Object.fromEntries(performance.getEntriesByType("mark").map((m) => [m.name, m.startTime])),
  );
  // The model's answer to the run, before the next step reloads: an answer still coming in
  // would go on after the reload, and the composer would wait for it.
  await page
    .getByRole("article", { name: "Assistant" })
    .last()
    .getByText(/^The program ran/)
    .waitFor({ timeout: 30_000 });
  return {
    clicked,
    output,
    start: marks["gradual:python-start"],
    ready: marks["gradual:python-ready"],
  };
}

export async function measurePage(databaseUrl) {
  const assets = initialAssets();
  const dev = await startDevServer(databaseUrl);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: CHROMIUM_ARGS,
  });
  try {
    // Navigation to an interactive composer: a new profile each time (nothing cached, a new
    // anonymous visitor), and a reload of a returning one.
    const cold = [];
    const warm = [];
    for (let i = 0; i < RUNS; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(dev.base);
      cold.push(await composerReady(page));
      await page.reload();
      warm.push(await composerReady(page));
      await context.close();
    }

    // Python: from the interpreter's start to the first cell's output, with an empty HTTP
    // cache, then after a reload with it primed. Run is clicked as soon as the cell shows, so
    // the figure is the whole wait of a person who runs code at once.
    const pyCold = [];
    const pyWarm = [];
    const runWaitEager = [];
    const runWaitPrefetched = [];
    for (let i = 0; i < 3; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(dev.base);
      await composerReady(page);
      const first = await firstCell(page, 0);
      pyCold.push(first.output - first.start);
      runWaitEager.push(first.output - first.clicked);
      await page.reload();
      await composerReady(page);
      const second = await firstCell(page, 0);
      pyWarm.push(second.output - second.start);
      await page.reload();
      await composerReady(page);
      // A person who reads the proposal for a few seconds: Python was started at idle.
      const later = await firstCell(page, 4_000);
      runWaitPrefetched.push(later.output - later.clicked);
      await context.close();
    }

    // The floor, in the same browser: Pyodide alone, cold and with its files cached.
    const floor = await floorServer();
    const floorCold = [];
    const floorWarm = [];
    try {
      for (let i = 0; i < 3; i++) {
        const context = await browser.newContext();
        const page = await context.newPage();
        await page.goto(`${floor.base}/floor.html`);
        floorCold.push(await page.evaluate(() => window.floor));
        await page.reload();
        floorWarm.push(await page.evaluate(() => window.floor));
        await context.close();
      }
    } finally {
      await floor.stop();
    }

    const total = assets.reduce((sum, a) => sum + a.gzip, 0);
    console.log("\nThe page, in headless Chromium against `npm run dev` (wrangler dev)\n");
    for (const a of assets) console.log(`  ${a.url}: ${a.raw} B, ${a.gzip} B gzipped`);
    console.log(
      `initial JS+CSS gzipped (Pyodide and lazy chunks excluded): ${(total / 1024).toFixed(1)} KB (target ≤ 40 KB: ${total <= 40 * 1024 ? "met" : "MISSED"})`,
    );
    console.log(
      `navigation to an interactive composer, median of ${RUNS}: new visitor ${ms(median(cold))}, returning ${ms(median(warm))} (target ≤ 1 s: ${median(cold) <= 1000 ? "met" : "MISSED"})`,
    );
    console.log(
      `Pyodide start to first cell output, median of 3: cold ${ms(median(pyCold))} (target ≤ 4 s: ${median(pyCold) <= 4000 ? "met" : "MISSED"}), HTTP cache primed ${ms(median(pyWarm))} (target ≤ 1.5 s: ${median(pyWarm) <= 1500 ? "met" : "MISSED"})`,
    );
    console.log(
      `  floor, Pyodide alone in a bare worker (loadPyodide and one print), median of 3: cold ${ms(median(floorCold))}, cached ${ms(median(floorWarm))}`,
    );
    console.log(
      `Run to output on a new page: Run clicked at once ${ms(median(runWaitEager))}, Run clicked after 4 s (Python prefetched at idle) ${ms(median(runWaitPrefetched))}`,
    );
  } finally {
    await browser.close();
    await dev.stop();
  }
}
