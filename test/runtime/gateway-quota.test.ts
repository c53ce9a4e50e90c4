// Metering under pressure: 200 concurrent requests never push used_tokens past the limit and
// end with used_tokens equal to the sum of what was debited; an exhausted quota answers 429
// with its reset time (the stream and rate limits: admission.test.ts); bad input is rejected
// before anything is reserved or written.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { count, eq } from "drizzle-orm";
import { countTokens } from "gpt-tokenizer";
import { describe, expect, it } from "vitest";
import { connect, disconnect } from "../../src/db/client";
import { agentSessions } from "../../src/db/schema";
import { estimatePromptTokens } from "../../src/gateway/estimate";
import worker from "../../src/index";
import { type Reservation, reserveTokens } from "../../src/quota/reserve";
import { blockedBy, ORIGIN, withDb } from "./helpers";
import {
  account,
  chat,
  chatOk,
  eventually,
  readSse,
  reserveDirectly,
  scripted,
  settled,
  upstreamOutcomes,
  usageRows,
  usedTokens,
  whileBucketTaken,
} from "./inference-helpers";

describe("200 concurrent requests on one account whose quota covers 50", () => {
  it("never exceed the limit, and used_tokens ends equal to the sum of debits", async () => {
    const messages = [
      { role: "user" as const, content: scripted("race", { tokens: 20, chunk_delay_ms: 5 }) },
    ];
    const maxTokens = 100;
    const perRequest = (await estimatePromptTokens(messages, undefined, "openai")) + maxTokens;
    const limit = perRequest * 50;
    const { browser, accountId } = await account("pro", limit);

    // Every version of the account's bucket row past its limit, however briefly it existed.
    const overdrafts = await watchOverdrafts(accountId);
    const results = await Promise.all(
      Array.from({ length: 200 }, async () => {
        const res = await chat(browser, { stream: true, max_tokens: maxTokens, messages });
        const body =
          res.status === 200 ? await readSse(res) : await res.json<{ error: { code: string } }>();
        return { status: res.status, body };
      }),
    );

    const ok = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status === 429);
    expect(ok.length + refused.length).toBe(200);
    expect(ok.length).toBeGreaterThanOrEqual(50);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) expect(r.body).toMatchObject({ error: { code: "quota_exceeded" } });
    expect(await overdrafts.seen()).toEqual([]);

    const rows = await usageRows(accountId);
    expect(rows).toHaveLength(ok.length);
    const debited = rows.reduce((n, r) => n + r.debitedTokens, 0);
    expect(await usedTokens(accountId)).toBe(debited);
    expect(debited).toBeLessThanOrEqual(limit);
  });
});

/**
 * Records, by trigger, every update that leaves the account's bucket above its limit (a poller
 * would miss one undone within its interval); `seen` lists them and removes the trigger.
 */
async function watchOverdrafts(accountId: string) {
  const name = `overdraft_${crypto.randomUUID().replaceAll("-", "")}`;
  await withDb((db) =>
    db.$client.unsafe(`
      create table ${name} (used bigint, limit_tokens bigint);
      create function ${name}() returns trigger language plpgsql as $$
        begin insert into ${name} values (new.used_tokens, new.limit_tokens); return new; end $$;
      create trigger ${name} after update on quota_buckets for each row
        when (new.account_id = '${accountId}' and new.used_tokens > new.limit_tokens)
        execute function ${name}();`),
  );
  return {
    seen: () =>
      withDb(async (db) => {
        const rows = await db.$client.unsafe(`select * from ${name}`);
        await db.$client.unsafe(`
          drop trigger ${name} on quota_buckets; drop function ${name}(); drop table ${name};`);
        return [...rows];
      }),
  };
}

describe("a reservation racing the account's removal (a merge)", () => {
  it("finds the caller changed, so the Worker looks again, rather than failing", async () => {
    const { accountId } = await account("anon");
    await reserveDirectly(accountId, 10);
    let reserving: Promise<Reservation> | undefined;
    await withDb((db) =>
      db.$client.begin(async (tx) => {
        // As a merge does last; the reservation starts before this commits and waits on it.
        const [me] = await tx<{ pid: number }[]>`select pg_backend_pid() as pid`;
        await tx`delete from "user" where account_id = ${accountId}`;
        await tx`delete from accounts where id = ${accountId}`;
        reserving = withDb((other) =>
          reserveTokens(other, {
            id: crypto.randomUUID(),
            accountId,
            tier: "anon",
            keyHash: null,
            dailyLimit: 1_000,
            tokens: 10,
          }),
        );
        // Waiting on the rows this transaction holds, so it meets their removal on commit.
        await eventually(() => blockedBy(me?.pid ?? 0));
      }),
    );
    expect(await reserving).toEqual({ ok: false, reason: "caller" });
  });
});

describe("limits", () => {
  it("an exhausted quota is a 429 quota_exceeded with the reset time, and nothing is written", async () => {
    const { browser, accountId } = await account("anon", 200);
    await reserveDirectly(accountId, 150);
    const res = await chat(browser, {
      stream: true,
      max_tokens: 100,
      messages: [{ role: "user", content: "hi" }],
    });
    expect(res.status).toBe(429);
    const body = await res.json<{ error: { code: string; reset_at: string } }>();
    expect(body.error.code).toBe("quota_exceeded");
    const reset = new Date(body.error.reset_at);
    expect(reset.getUTCHours()).toBe(0);
    expect(reset.getTime()).toBeGreaterThan(Date.now());
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await usageRows(accountId)).toEqual([]);
    expect(await usedTokens(accountId)).toBe(150);
    const [sessions] = await withDb((db) =>
      db.select({ n: count() }).from(agentSessions).where(eq(agentSessions.accountId, accountId)),
    );
    expect(sessions?.n).toBe(0);
  });

  it("a request larger than the whole quota is a 400 that says so, not a 429 to wait out", async () => {
    const { browser, accountId } = await account("anon", 50);
    const res = await chat(browser, {
      stream: true,
      max_tokens: 100,
      messages: [{ role: "user", content: "hi" }],
    });
    expect(res.status).toBe(400);
    expect(res.headers.get("retry-after")).toBeNull();
    const { error } = await res.json<{ error: { code: string; message: string } }>();
    expect(error.code).toBe("request_exceeds_quota");
    expect(error.message).toContain("daily quota of 50");
    expect(await usageRows(accountId)).toEqual([]);
    expect(await usedTokens(accountId)).toBe(0);
  });

  it("a provider that counts more than was reserved is charged only the reservation", async () => {
    const messages = [
      {
        role: "user" as const,
        content: scripted("big", { reply: "ok", extra_prompt_tokens: 500 }),
      },
    ];
    const reserved = (await estimatePromptTokens(messages, undefined, "openai")) + 20;
    const { browser, accountId } = await account("anon", reserved + 10);
    const res = await chat(browser, { max_tokens: 20, messages });
    const { usage } = await res.json<{ usage: { prompt_tokens: number } }>();
    // The caller is told what the provider counted…
    expect(usage.prompt_tokens).toBe(reserved - 20 + 500);
    // …and the quota, which must never pass its limit, is charged what was reserved.
    const row = await settled(accountId);
    expect(row).toMatchObject({ actualTokens: reserved - 20 + 500 + 1, debitedTokens: reserved });
    expect(await usedTokens(accountId)).toBe(reserved);
  });
});

describe("the first reservations of a new window", () => {
  it("both hold when they arrive together, whichever of them creates the bucket", async () => {
    const { accountId } = await account("anon");
    const tomorrow = new Date(Date.now() + 24 * 3_600_000);
    // One connection, as the agent has: both find no bucket before either creates it.
    const db = connect(env.HYPERDRIVE, { connections: 1 });
    const reserve = () =>
      reserveTokens(
        db,
        {
          id: crypto.randomUUID(),
          accountId,
          tier: "anon",
          keyHash: null,
          dailyLimit: 5_000,
          tokens: 100,
        },
        tomorrow,
      );
    try {
      const both = await Promise.all([reserve(), reserve()]);
      expect(both).toMatchObject([
        { ok: true, usedTokens: 100 },
        { ok: true, usedTokens: 200 },
      ]);
    } finally {
      await disconnect(db);
    }
  });
});

describe("the upstream request and the reservation", () => {
  it("a request the account's known room does not cover waits for its reservation: refused, nothing goes upstream", async () => {
    const { browser, accountId } = await account("anon", 1_000);
    await reserveDirectly(accountId, 700);
    const first = await chatOk(browser, 50);
    expect(first.status).toBe(200);

    // Within the quota's size, beyond the room the agent saw left.
    const marker = crypto.randomUUID();
    const res = await chat(browser, {
      max_tokens: 500,
      messages: [{ role: "user", content: marker }],
    });
    expect(res.status).toBe(429);
    expect(await upstreamOutcomes(marker)).toEqual([]);
    expect(await usageRows(accountId)).toHaveLength(1);
  });

  it("a reservation refused after the upstream request started cancels it, and writes nothing", async () => {
    const { browser, accountId } = await account("anon");
    const first = await chatOk(browser, 50);
    expect(first.status).toBe(200);

    const marker = crypto.randomUUID();
    // The room the agent last saw is gone behind its back (an operator, another region), in a
    // transaction the reservation waits on while the request is already at the model.
    const res = await whileBucketTaken(
      accountId,
      5_000,
      () =>
        chat(browser, {
          stream: true,
          max_tokens: 50,
          messages: [{ role: "user", content: scripted(marker, { first_token_delay_ms: 1_500 }) }],
        }),
      () => eventually(async () => (await upstreamOutcomes(marker)).includes("open")),
    );
    expect(res.status).toBe(429);
    expect(await usageRows(accountId)).toHaveLength(1);
    expect(await usedTokens(accountId)).toBe(5_000);
    // It was cut off rather than generated in full.
    expect(
      await eventually(async () => {
        const seen = await upstreamOutcomes(marker);
        return !seen.includes("open") && seen;
      }),
    ).toEqual(["cancelled"]);
  });
});

describe("the prompt estimate", () => {
  it("reserves a long history's exact count on every turn, cached or not, and follows an edit", async () => {
    const { browser, accountId } = await account("pro", 1_000_000);
    const tokens = (text: string) => countTokens(text, { disallowedSpecial: new Set() });
    const history = Array.from({ length: 300 }, (_, i) => `line ${i}: x = ${i * 7}\n`).join("");
    // The same length with other content: a cache keyed on anything less than the text fails.
    const edited = `${crypto.randomUUID().repeat(4)}${history.slice(144)}`;
    expect(edited.length).toBe(history.length);
    expect(tokens(edited)).not.toBe(tokens(history));

    const turn = async (earlier: string) => {
      const ask = scripted("go on", { reply: "ok" });
      const res = await chat(browser, {
        max_tokens: 50,
        messages: [
          { role: "user", content: earlier },
          { role: "assistant", content: "ok" },
          { role: "user", content: ask },
        ],
      });
      expect(res.status).toBe(200);
      return 3 + (4 + tokens(earlier)) + (4 + tokens("ok")) + (4 + tokens(ask)) + 50;
    };
    const expected = [await turn(history), await turn(history), await turn(edited)];
    const rows = await eventually(async () => {
      const found = await usageRows(accountId);
      return found.length === 3 && found;
    });
    const reserved = rows
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
      .map((r) => r.estimatedTokens);
    expect(reserved).toEqual(expected);
  });
});

describe("bad input is refused before anything is reserved or written", () => {
  const cases: [string, Record<string, unknown>, string][] = [
    [
      "unknown model",
      { model: "no-such-model", messages: [{ role: "user", content: "x" }] },
      "model_not_found",
    ],
    [
      "model above the tier",
      { model: "claude-sonnet-4-5", messages: [{ role: "user", content: "x" }] },
      "model_not_allowed",
    ],
    [
      "max_tokens of zero",
      { max_tokens: 0, messages: [{ role: "user", content: "x" }] },
      "invalid_request",
    ],
    [
      "max_tokens over the tier cap",
      { max_tokens: 100_000, messages: [{ role: "user", content: "x" }] },
      "invalid_request",
    ],
    ["empty messages", { messages: [] }, "invalid_request"],
    ["a malformed message", { messages: [{ role: "wizard", content: "x" }] }, "invalid_request"],
    [
      "a tool schema that is not an object",
      {
        messages: [{ role: "user", content: "x" }],
        tools: [{ type: "function", function: { name: "f", parameters: "nope" } }],
      },
      "invalid_request",
    ],
    [
      "n of 2 (one choice per request)",
      { n: 2, messages: [{ role: "user", content: "x" }] },
      "invalid_request",
    ],
    ["logprobs", { logprobs: true, messages: [{ role: "user", content: "x" }] }, "invalid_request"],
    [
      "a JSON response_format, which would be ignored",
      { response_format: { type: "json_object" }, messages: [{ role: "user", content: "x" }] },
      "invalid_request",
    ],
  ];

  it("accepts n: 1, logprobs: false, a text response_format, or nulls, which change nothing", async () => {
    const { browser } = await account();
    const messages = [{ role: "user", content: scripted("x", { reply: "ok" }) }];
    const values = { n: 1, logprobs: false, response_format: { type: "text" } };
    // Every optional parameter as null, as SDKs and wrappers send one left unset.
    const nulls = Object.fromEntries(
      [
        "n",
        "logprobs",
        "response_format",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "max_completion_tokens",
        "stream",
        "stream_options",
        "temperature",
        "top_p",
        "stop",
        "seed",
        "reasoning_effort",
        "frequency_penalty",
        "presence_penalty",
        "session_id",
      ].map((name) => [name, null]),
    );
    for (const extra of [values, nulls])
      expect((await chat(browser, { ...extra, max_tokens: 20, messages })).status).toBe(200);
  });

  it.each(cases)("%s → 400", async (_, body, code) => {
    const { browser, accountId } = await account();
    const res = await chat(browser, body);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { type: "invalid_request_error", code } });
    expect(await usedTokens(accountId)).toBe(0);
    expect(await usageRows(accountId)).toEqual([]);
  });

  it("malformed JSON → 400 and a body over the cap → 413", async () => {
    const { browser, accountId } = await account();
    const malformed = await browser.fetch("/api/inference", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"model": "gpt-5-mini", "messages": [',
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: { code: "invalid_json" } });

    const ctx = createExecutionContext();
    const huge = JSON.stringify({
      model: "gpt-5-mini",
      messages: [{ role: "user", content: "x".repeat(1_100_000) }],
    });
    const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    const res = await worker.fetch(
      new Request(`${ORIGIN}/api/inference`, {
        method: "POST",
        headers: { "content-type": "application/json", cookie, origin: ORIGIN },
        body: huge,
      }),
      env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(413);
    expect(await usedTokens(accountId)).toBe(0);
  });
});
