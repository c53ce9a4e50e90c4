// An account's AccountAgent reset before it answered (a deploy, its machine restarting): the
// caller gets a 503 it may retry, not a 500. (What the reset leaves open is settled by the
// agent's alarm or the scheduled sweep: see scheduled.test.ts and account-agent.test.ts.)
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { captureLogs, withDb } from "./helpers";
import {
  account,
  agentFor,
  chat,
  eventually,
  scripted,
  whileBucketTaken,
} from "./inference-helpers";

/** Whether an agent's reserving statement is waiting on a row lock (the bucket held below). */
const reservationWaiting = () =>
  withDb(async (db) => {
    const [row] = await db.$client<{ n: number }[]>`
      select count(*)::int as n from pg_stat_activity
      where wait_event_type = 'Lock' and application_name = 'gradual-account-agent'
        and query like '%quota_buckets%'`;
    return (row?.n ?? 0) > 0;
  });

describe("an agent reset before it answers", () => {
  it("answers 503 agent_unavailable with Retry-After, and says so in the log", async () => {
    const { browser, accountId } = await account();
    const { result: res, lines } = await captureLogs(() =>
      whileBucketTaken(
        accountId,
        0,
        () =>
          chat(browser, {
            stream: true,
            max_tokens: 20,
            messages: [{ role: "user", content: scripted("reset", { reply: "never" }) }],
          }),
        async () => {
          // The agent is inside its reservation, waiting for the bucket's row: reset it there.
          await eventually(reservationWaiting);
          await runInDurableObject(agentFor(accountId), (_, state) => {
            state.abort("reset by the test");
            // Aborting from inside the object also fails this call into it; that is expected.
          }).catch(() => {});
        },
      ),
    );
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    const body = await res.json<{ error: { code: string } }>();
    expect(body.error.code).toBe("agent_unavailable");
    expect(
      lines.filter((l) => l.includes("agent unavailable")),
      lines.join("\n"),
    ).toHaveLength(1);
  });
});
