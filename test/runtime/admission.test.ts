// Admission in the AccountAgent: concurrent streams and requests per minute per account, counted
// before any await, so a burst arriving at once is held to the cap exactly; a refusal is a 429
// with its code and Retry-After, and nothing is reserved for it.
import { describe, expect, it } from "vitest";
import { account, chat, eventually, scripted, usageRows } from "./inference-helpers";

// TIER_LIMITS in vitest.config.ts.
const ANON_STREAMS = 2;
const ANON_PER_MINUTE = 20;

describe("admission", () => {
  it("admits exactly the concurrent-stream cap of a burst; the rest get 429 concurrency_limit", async () => {
    const { browser, accountId } = await account();
    // A model that never answers past its headers: each admitted stream keeps its slot until
    // its caller leaves, however long the burst takes to arrive.
    const held = {
      stream: true,
      max_tokens: 50,
      messages: [{ role: "user", content: scripted("hold", { stall_after_tokens: 0 }) }],
    };
    const burst = await Promise.all(Array.from({ length: 6 }, () => chat(browser, held)));
    const admitted = burst.filter((r) => r.status === 200);
    const refused = burst.filter((r) => r.status !== 200);
    expect(admitted).toHaveLength(ANON_STREAMS);
    for (const res of refused) {
      expect(res.status).toBe(429);
      expect(res.headers.get("retry-after")).toBe("1");
      expect(await res.json()).toMatchObject({ error: { code: "concurrency_limit" } });
    }

    // Slots come back when streams end: here their callers leave, and each is settled.
    await Promise.all(admitted.map((r) => r.body?.cancel()));
    await eventually(async () => (await usageRows(accountId)).length === ANON_STREAMS);
    const after = await chat(browser, {
      stream: true,
      max_tokens: 20,
      messages: [{ role: "user", content: scripted("again", { reply: "ok" }) }],
    });
    expect(after.status).toBe(200);
    await after.text();
  });

  it("caps requests per minute with a 429 rate_limited and a Retry-After until a slot frees", async () => {
    const { browser, accountId } = await account();
    const quick = {
      max_tokens: 5,
      messages: [{ role: "user", content: scripted("q", { reply: "k" }) }],
    };
    const started = Date.now();
    const statuses: number[] = [];
    for (let i = 0; i < ANON_PER_MINUTE; i++) statuses.push((await chat(browser, quick)).status);
    expect(statuses).toEqual(Array(ANON_PER_MINUTE).fill(200));

    const refused = await chat(browser, quick);
    const answered = Date.now();
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ error: { code: "rate_limited" } });
    // The first request's minute ends no sooner than a minute after it was sent, counted from
    // when the refusal came back (however slow the machine was), and no later than a minute.
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(retryAfter).toBeGreaterThanOrEqual(Math.ceil((started + 60_000 - answered) / 1000));
    expect(await usageRows(accountId)).toHaveLength(ANON_PER_MINUTE);
  });
});
