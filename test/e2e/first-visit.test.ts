// A first visit: signed in anonymously without a click, on an interactive composer, with the
// scripted demo labelled; and the admin page in the same design.
import { describe, expect, it } from "vitest";
import {
  accountOf,
  composer,
  lastAnswer,
  newProfile,
  scripted,
  sql,
  stack,
  visit,
} from "./support";

describe("a first visit", () => {
  it("signs the visitor in anonymously with no click and lands on an interactive composer", async () => {
    const context = await newProfile();
    const page = await context.newPage();
    await page.goto(stack.plain.url);
    await composer(page).waitFor();
    // No click: the page signs in by itself, and the composer takes focus and input.
    await expect.poll(() => page.getByTestId("quota-limit").textContent()).toBe("20,000");
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe("message");
    await page.keyboard.type("hello");
    expect(await composer(page).inputValue()).toBe("hello");

    const me = await accountOf(page);
    expect(me).toMatchObject({ tier: "anon", is_anonymous: true });
    const [account] = await sql`select tier from accounts where id = ${me.account_id}`;
    expect(account?.tier).toBe("anon");
    // The demo is labelled, and the examples are offered.
    await page.getByText("Scripted demo model", { exact: true }).waitFor();
    await page.getByRole("button", { name: /List the primes below 100/ }).waitFor();
    await page.getByRole("button", { name: /Sign in with Loopback ID/ }).waitFor();
  });

  it("keeps a message sent before the sign-in has finished, and answers it", async () => {
    const context = await newProfile();
    const page = await context.newPage();
    await page.goto(stack.plain.url);
    // As soon as the box takes input: the anonymous sign-in may still be on its way.
    await page.waitForFunction(() => document.activeElement?.id === "message");
    await composer(page).fill(scripted("early bird", { reply: "Answered after all." }));
    await composer(page).press("Enter");
    await lastAnswer(page).getByText("Answered after all.").waitFor();
    expect(await composer(page).inputValue()).toBe("");
  });

  it("serves the page cross-origin isolated, with Pyodide's files cached for good", async () => {
    const context = await newProfile();
    const page = await visit(context, stack.plain.url);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    const res = await fetch(
      `${stack.plain.url}/pyodide/${await pyodideVersion()}/pyodide.asm.wasm`,
      {
        method: "HEAD",
      },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toContain("immutable");
    expect(res.headers.get("content-type")).toContain("wasm");
  });
});

async function pyodideVersion(): Promise<string> {
  const { readFileSync } = await import("node:fs");
  return JSON.parse(readFileSync("node_modules/pyodide/package.json", "utf8")).version;
}
