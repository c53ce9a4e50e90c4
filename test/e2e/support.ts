// Helpers for the browser tests: Debian's Chromium driven by playwright-core, a visitor per
// browser context (its own cookies and IndexedDB), the database, and the scripted model's log.

import { mkdirSync } from "node:fs";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, afterEach, expect, inject } from "vitest";
import { sqlClient } from "../node/support";

export const stack = inject("e2e");
export const sql = sqlClient(stack.databaseUrl);

let browser: Browser | null = null;
const contexts: BrowserContext[] = [];
/** What the browser said about the Content-Security-Policy: every test must leave this empty. */
const violations: string[] = [];
/** Reports a test expects (it feeds the page something the policy must refuse). */
let expected: RegExp | null = null;

/**
 * The current test expects the policy to refuse something matching `pattern` (and it must):
 * Chromium reports an inline event handler as soon as HTML carrying one is parsed, even by the
 * sanitiser, before the sanitiser removes it.
 */
export function expectViolations(pattern: RegExp) {
  expected = pattern;
}

// A failed test leaves a screenshot of every page it had open, and their text in the log.
// Each test's profiles are closed after it (a Python worker holds a good deal of memory), and
// the page ran under its Content-Security-Policy without breaking it.
afterEach(async ({ task }) => {
  const open = contexts.splice(0);
  if (task.result?.state === "fail") await showPages(task.name, open);
  for (const context of open) await context.close().catch(() => {});
  const reported = violations.splice(0);
  const allowed = expected;
  expected = null;
  if (allowed)
    expect(
      reported.some((v) => allowed.test(v)),
      "the expected refusal",
    ).toBe(true);
  expect(
    reported.filter((v) => !allowed?.test(v)),
    "Content-Security-Policy violations",
  ).toEqual([]);
});

async function showPages(test: string, open: BrowserContext[]) {
  const dir = "test-results/e2e";
  mkdirSync(dir, { recursive: true });
  const pages = open.flatMap((c) => c.pages());
  for (const [i, page] of pages.entries()) {
    const name = `${test.replace(/\W+/g, "-").slice(0, 60)}-${i}`;
    await page.screenshot({ path: `${dir}/${name}.png` }).catch(() => {});
    const text = await page
      .locator("body")
      .innerText()
      .catch(() => "");
    console.log(`--- page ${i} (${page.url()}) ---\n${text.slice(-4000)}`);
  }
}

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
  await sql.end({ timeout: 5 });
});

async function chromiumBrowser(): Promise<Browser> {
  browser ??= await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
  return browser;
}

/** A new browser profile: what a visitor who never came before has. */
export async function newProfile(viewport = { width: 1280, height: 860 }) {
  const context = await (await chromiumBrowser()).newContext({ viewport });
  contexts.push(context);
  // The page's console and its workers' (the Python worker runs under a policy of its own).
  const watch = (text: string) => {
    if (/Content.Security.Policy/i.test(text)) violations.push(text);
  };
  context.on("console", (message) => watch(message.text()));
  context.on("page", (page) => page.on("worker", (w) => w.on("console", (m) => watch(m.text()))));
  return context;
}

/** Opens `path` and waits until the page is signed in and the composer takes input. */
export async function visit(context: BrowserContext, base: string, path = "/"): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${base}${path}`);
  await ready(page);
  return page;
}

export async function ready(page: Page) {
  await page.getByRole("textbox", { name: "Message" }).waitFor();
  await expect.poll(() => composer(page).isEditable()).toBe(true);
  // Signed in: the quota meter shows today's limit.
  await page.getByTestId("quota-limit").waitFor({ timeout: 15_000 });
}

export const composer = (page: Page) => page.getByRole("textbox", { name: "Message" });

export async function send(page: Page, text: string) {
  // As a person would: once the previous answer has finished (Send is back in place of Stop).
  await page.getByRole("button", { name: "Send" }).waitFor({ timeout: 30_000 });
  await composer(page).fill(text);
  await composer(page).press("Enter");
}

/** A `@scripted` directive the scripted model obeys (see scripts/scripted-model/scenario.mjs). */
export const scripted = (label: string, directive: Record<string, unknown>) =>
  `${label}\n@scripted ${JSON.stringify(directive)}`;

/** A reply proposing `code` through python_run. */
export const proposing = (label: string, code: string, reply = "Here is some code.") =>
  scripted(label, { reply, tool_call: { name: "python_run", arguments: { code } } });

interface RecordedRequest {
  path: string;
  body: { messages: { role: string; content: unknown; tool_call_id?: string }[] };
  outcome: "open" | "finished" | "cancelled";
}

/** The requests the scripted model received whose body contains `text`. */
export async function modelRequests(modelUrl: string, text: string): Promise<RecordedRequest[]> {
  const res = await fetch(`${modelUrl}/scripted/requests?contains=${encodeURIComponent(text)}`);
  return ((await res.json()) as { data: RecordedRequest[] }).data;
}

/** The account behind the page's session (from its own /api/me). */
export async function accountOf(page: Page): Promise<{ account_id: string; tier: string }> {
  return page.evaluate(() => fetch("/api/me").then((r) => r.json()));
}

/** The newest answer on the page. */
export const lastAnswer = (page: Page) => page.getByRole("article", { name: "Assistant" }).last();

/** The newest code cell on the page. */
export const lastCell = (page: Page) =>
  page.getByRole("region", { name: "Proposed Python code" }).last();

/** Runs the newest cell after replacing its code with `code` (or as proposed). */
export async function runLastCell(page: Page, code?: string) {
  const cell = lastCell(page);
  await cell.getByRole("button", { name: "Run" }).waitFor();
  if (code !== undefined) await cell.getByRole("textbox", { name: "Python code" }).fill(code);
  await cell.getByRole("button", { name: "Run" }).click();
  return cell;
}

/** Asks the scripted model to propose `code`, then runs it. */
export async function proposeAndRun(page: Page, code: string) {
  await send(page, proposing(`run ${crypto.randomUUID()}`, code));
  return runLastCell(page);
}

/**
 * Waits for the scripted model's answer to a run (which the page asks for by itself): a message
 * sent before it would find a turn under way, and go back into the composer.
 */
export const runAnswered = (page: Page) =>
  lastAnswer(page)
    .getByText(/^The program ran/)
    .waitFor();

/** Opens the workspace panel (closed on narrow screens) and returns it. */
export async function workspace(page: Page) {
  const panel = page.getByRole("complementary", { name: "Workspace" });
  if (!(await panel.isVisible())) {
    await page.getByRole("button", { name: "Workspace: Python and files" }).click();
  }
  return panel;
}

/** The names in the Files panel. */
export async function listedFiles(page: Page): Promise<string[]> {
  const panel = await workspace(page);
  const list = panel.getByRole("list", { name: "Files in /data" });
  if (!(await list.isVisible())) return [];
  return list.locator(".file-name > span:first-child").allInnerTexts();
}

/** Makes the loopback OIDC provider sign this profile in as `login` (a person at the provider). */
export async function signInAs(context: BrowserContext, login: string) {
  await context.route(`${stack.oidcIssuer}/authorize**`, (route) => {
    const url = new URL(route.request().url());
    url.searchParams.set("login_hint", login);
    return route.continue({ url: url.toString() });
  });
}

export const uniqueLogin = (label: string) => `${label}-${crypto.randomUUID().slice(0, 8)}`;

/** How many times the datasets' source was asked for a path containing `fragment`. */
export async function sourceRequests(fragment: string): Promise<number> {
  const counts = (await (await fetch(`${stack.datasetsUrl}/__requests`)).json()) as Record<
    string,
    number
  >;
  return Object.entries(counts)
    .filter(([path]) => path.includes(fragment))
    .reduce((sum, [, n]) => sum + n, 0);
}
