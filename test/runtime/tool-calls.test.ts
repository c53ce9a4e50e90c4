// POST /api/tool-calls/:id/complete: owner only, idempotent, size-capped, clear errors.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { agentToolCalls } from "../../src/db/schema";
import { MAX_TOOL_TEXT_BYTES } from "../../src/routes/tool-calls";
import type { Browser } from "./browser";
import { withDb } from "./helpers";
import { account, runPythonTurn } from "./inference-helpers";

async function proposedCall(browser: Browser) {
  const { events } = await runPythonTurn(browser, "run it", "print(1)");
  const id = events
    .flatMap((e) => e.choices as { delta: { tool_calls?: { id?: string }[] } }[])
    .flatMap((c) => c.delta.tool_calls ?? [])
    .find((t) => t.id)?.id;
  if (!id) throw new Error("no tool call proposed");
  return id;
}

const complete = (browser: Browser, id: string, body: unknown) =>
  browser.fetch(`/api/tool-calls/${id}/complete`, { method: "POST", json: body });

describe("POST /api/tool-calls/:id/complete", () => {
  it("records the code that really ran and its output; the same report again changes nothing", async () => {
    const { browser } = await account();
    const id = await proposedCall(browser);
    const report = { status: "done", executed_code: "print(2)", output: "2\n" };
    const first = await complete(browser, id, report);
    expect(first.status).toBe(200);
    const saved = await first.json<{ completed_at: string }>();
    expect(saved).toMatchObject({
      id,
      status: "done",
      proposed_code: "print(1)",
      executed_code: "print(2)",
      output: "2\n",
    });

    const again = await complete(browser, id, report);
    expect(again.status).toBe(200);
    expect((await again.json<{ completed_at: string }>()).completed_at).toBe(saved.completed_at);

    // Any field differing is a different report: the status, the output, the code.
    for (const different of [
      { ...report, status: "error" },
      { ...report, output: "3\n" },
      { ...report, executed_code: "print(3)" },
    ])
      expect((await complete(browser, id, different)).status).toBe(409);
    const [row] = await withDb((db) =>
      db.select().from(agentToolCalls).where(eq(agentToolCalls.id, id)),
    );
    expect(row).toMatchObject({ status: "done", output: "2\n" });
  });

  it("records a skip", async () => {
    const { browser } = await account();
    const id = await proposedCall(browser);
    const res = await complete(browser, id, { status: "skipped" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "skipped", executed_code: null });
  });

  it("is owner-only: another account gets a 404 and the call is untouched", async () => {
    const owner = await account();
    const id = await proposedCall(owner.browser);
    const stranger = await account();
    const res = await complete(stranger.browser, id, { status: "skipped" });
    expect(res.status).toBe(404);
    const [row] = await withDb((db) =>
      db.select().from(agentToolCalls).where(eq(agentToolCalls.id, id)),
    );
    expect(row?.status).toBe("proposed");
  });

  it("rejects oversized output and inconsistent bodies with a 400, writing nothing", async () => {
    const { browser } = await account();
    const id = await proposedCall(browser);
    const cases = [
      { status: "done", executed_code: "x", output: "y".repeat(MAX_TOOL_TEXT_BYTES + 1) },
      // Under the cap in characters, over it in bytes.
      { status: "done", executed_code: "x", output: "é".repeat(MAX_TOOL_TEXT_BYTES / 2 + 1) },
      { status: "done" },
      { status: "skipped", executed_code: "x" },
      { status: "finished", executed_code: "x" },
      { status: "done", executed_code: "x", extra: 1 },
    ];
    for (const body of cases) expect((await complete(browser, id, body)).status).toBe(400);
    const [row] = await withDb((db) =>
      db.select().from(agentToolCalls).where(eq(agentToolCalls.id, id)),
    );
    expect(row?.status).toBe("proposed");
  });
});
