// The AccountAgent's crash safety: a reservation whose stream died with an evicted instance, or
// whose stream could not write its settlement, is settled by the alarm (idempotently, and with
// what the stream saw when it knew); a record whose reservation is not open changes nothing, a
// refused one leaves no record, one that was open while its anonymous account was merged into
// another settles into the survivor, one it cannot record or cannot reserve is refused
// cleanly, and the object's long-lived Postgres client survives the server closing its
// connections.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { AGENT_APPLICATION_NAME } from "../../src/account-agent";
import type { RunHost } from "../../src/account-agent/inference-run";
import type { Settlement } from "../../src/account-agent/settle";
import { connect, type Database } from "../../src/db/client";
import { signedInWithOidc, uniqueLogin } from "./browser";
import { failWrites, withDb } from "./helpers";
import {
  account,
  agentFor,
  chat,
  chatOk,
  eventually,
  readSse,
  reserveDirectly,
  scripted,
  sessionMessages,
  settled,
  storeRecord,
  usageRows,
  usedTokens,
  whileBucketTaken,
} from "./inference-helpers";
import { seedHistory } from "./seed";

/** What the agent holds after reserving, as if its instance was then evicted mid-stream. */
async function orphanedReservation(accountId: string, reserved: number, piecesSeen: number) {
  return orphanedRecord(
    accountId,
    await reserveDirectly(accountId, reserved),
    reserved,
    piecesSeen,
  );
}

/** The agent's stored record of reservation `id`, left behind with an alarm armed. */
const orphanedRecord = (accountId: string, id: string, reserved: number, piecesSeen: number) =>
  storeRecord(accountId, { id, reserved, promptEstimate: 40, piecesSeen });

const storedReservations = async (accountId: string) =>
  (
    await runInDurableObject(agentFor(accountId), (_, state) =>
      state.storage.list({ prefix: "reservation:" }),
    )
  ).size;

/** Whether an agent's settling statement is waiting for a row lock. */
const settlementWaiting = () =>
  withDb(async (db) => {
    const [row] = await db.$client`
      select count(*)::int as n from pg_stat_activity
      where application_name = ${AGENT_APPLICATION_NAME} and wait_event_type = 'Lock'
        and query like '%delete from open_reservations%'`;
    return row?.n > 0;
  });

describe("AccountAgent alarm", () => {
  it("settles a reservation an eviction left open, once", async () => {
    const { accountId } = await account();
    await orphanedReservation(accountId, 600, 25);
    expect(await usedTokens(accountId)).toBe(600);

    expect(await runDurableObjectAlarm(agentFor(accountId))).toBe(true);
    const [row] = await usageRows(accountId);
    expect(row).toMatchObject({
      status: "settled_by_alarm",
      debitedTokens: 40 + 25,
      estimatedTokens: 600,
    });
    expect(await usedTokens(accountId)).toBe(65);

    // Nothing left to settle: a second alarm run changes nothing.
    await runDurableObjectAlarm(agentFor(accountId));
    expect(await usageRows(accountId)).toHaveLength(1);
    expect(await usedTokens(accountId)).toBe(65);
    expect(await storedReservations(accountId)).toBe(0);
  });

  it("leaves a finished stream's record alone while the stream's own settlement waits", async () => {
    const { browser, accountId } = await account();
    const res = await chat(browser, {
      stream: true,
      max_tokens: 50,
      messages: [
        { role: "user", content: scripted("hi", { reply: "a b c", chunk_delay_ms: 100 }) },
      ],
    });
    expect(res.status).toBe(200);
    const streamed = readSse(res);
    let alarmRan: boolean | "still running" = false;
    await withDb((db) =>
      db.$client.begin(async (tx) => {
        // Holds the bucket's row, so the stream's settling statement waits once it ends.
        await tx`select 1 from quota_buckets where account_id = ${accountId} for update`;
        await eventually(() => settlementWaiting());
        alarmRan = await Promise.race([
          runDurableObjectAlarm(agentFor(accountId)),
          new Promise<"still running">((r) => setTimeout(() => r("still running"), 3_000)),
        ]);
        expect(await storedReservations(accountId)).toBe(1);
      }),
    );
    expect(alarmRan).toBe(true);
    expect((await streamed).text).toBe("a b c");
    // Settled once, by the stream, with what it streamed.
    expect(await settled(accountId)).toMatchObject({ status: "ok" });
    expect(await usageRows(accountId)).toHaveLength(1);
    await eventually(async () => (await storedReservations(accountId)) === 0);
  });

  it("retries a settlement its stream could not write, charging what the stream saw", async () => {
    const { browser, accountId } = await account();
    // The stream's settling statement fails (as a lost connection or a full disk would fail it).
    const failing = await failWrites(
      "open_reservations",
      "delete",
      `old.account_id = '${accountId}'`,
    );
    const ask = scripted("keep this", { reply: "a reply kept for the retry" });
    const res = await chat(browser, {
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 50,
      messages: [{ role: "user", content: ask }],
    });
    const sessionId = res.headers.get("x-session-id") ?? "";
    const { events, done, text } = await readSse(res);
    expect(done).toBe(true);
    expect(text).toBe("a reply kept for the retry");
    const { usage } = events.at(-1) as {
      usage: { completion_tokens: number; total_tokens: number };
    };

    // Nothing charged yet, the reservation still holds, and the alarm is due within 30 s.
    expect(await usageRows(accountId)).toEqual([]);
    expect(await usedTokens(accountId)).toBeGreaterThan(usage.total_tokens);
    expect(await storedReservations(accountId)).toBe(1);
    await runInDurableObject(agentFor(accountId), async (_, state) => {
      expect(await state.storage.getAlarm()).toBeLessThanOrEqual(Date.now() + 30_000);
    });

    await failing.remove();
    expect(await runDurableObjectAlarm(agentFor(accountId))).toBe(true);
    // The retry charges what streamed (not the alarm's guess from the pieces it saw), and
    // records the turn.
    expect(await usageRows(accountId)).toMatchObject([
      {
        status: "ok",
        completionTokens: usage.completion_tokens,
        debitedTokens: usage.total_tokens,
        sessionId,
      },
    ]);
    expect(await usedTokens(accountId)).toBe(usage.total_tokens);
    expect((await sessionMessages(sessionId)).map((m) => [m.role, m.content])).toEqual([
      ["user", ask],
      ["assistant", "a reply kept for the retry"],
    ]);
    expect(await storedReservations(accountId)).toBe(0);
  });

  it("settles each record as it is stored when it gets to it: a stream's kept outcome wins", async () => {
    const { accountId } = await account();
    // Listed in key order: the orphan first, then the one whose stream is still settling.
    const [orphan, settling] = [
      await orphanedReservation(accountId, 300, 5),
      await orphanedReservation(accountId, 300, 0),
    ].sort((x, y) => (x.id < y.id ? -1 : 1));
    if (!orphan || !settling) throw new Error("no records");
    type Internals = { live: Set<string>; host(): RunHost };
    await runInDurableObject(agentFor(accountId), (agent) => {
      (agent as unknown as Internals).live.add(settling.id);
    });
    const kept: Settlement = {
      status: "ok",
      promptTokens: 40,
      completionTokens: 20,
      debited: 60,
      latencyMs: 10,
      transcript: null,
    };

    let alarm: Promise<boolean> | undefined;
    await withDb((db) =>
      db.$client.begin(async (tx) => {
        // The alarm's settlement of the orphan waits on the bucket's row…
        await tx`select 1 from quota_buckets where account_id = ${accountId} for update`;
        alarm = runDurableObjectAlarm(agentFor(accountId));
        await eventually(() => settlementWaiting());
        // …while the other stream's own settlement fails and is kept for the alarm. Called
        // directly: on the agent's one connection, a real stream's settlement would queue
        // behind the alarm's. The test above drives the stream's own failure.
        await runInDurableObject(agentFor(accountId), async (agent, state) => {
          await (agent as unknown as Internals).host().keepForRetry(settling, kept);
          expect(await state.storage.getAlarm()).toBeLessThanOrEqual(Date.now() + 30_000);
        });
      }),
    );
    await alarm;

    const rows = await usageRows(accountId);
    expect(rows.find((r) => r.id === orphan.id)).toMatchObject({ status: "settled_by_alarm" });
    expect(rows.find((r) => r.id === settling.id)).toMatchObject({
      status: "ok",
      debitedTokens: 60,
    });
    expect(await storedReservations(accountId)).toBe(0);
  });

  it("settles the other records when one cannot be settled, and fails so the runtime retries", async () => {
    const { accountId } = await account();
    // Sorted first in storage; its id is not a uuid, so Postgres refuses to settle it.
    await orphanedRecord(accountId, "0-unsettleable", 100, 0);
    await orphanedReservation(accountId, 600, 25);

    await expect(runDurableObjectAlarm(agentFor(accountId))).rejects.toThrow();
    expect(await usageRows(accountId)).toMatchObject([{ status: "settled_by_alarm" }]);
    expect(await usedTokens(accountId)).toBe(65);
    expect(await storedReservations(accountId)).toBe(1);
  });

  it("drops a record whose reservation Postgres does not hold open, touching nothing", async () => {
    const { accountId } = await account();
    await reserveDirectly(accountId, 300);
    // Settled by another path already, or never taken: the open row is what settling consumes.
    const record = await orphanedRecord(accountId, crypto.randomUUID(), 500, 0);

    await runDurableObjectAlarm(agentFor(accountId));
    expect(await usedTokens(accountId)).toBe(300);
    expect((await usageRows(accountId)).find((r) => r.id === record.id)).toBeUndefined();
    expect(await storedReservations(accountId)).toBe(0);
  });

  it("keeps no record of a refused reservation", async () => {
    const { browser, accountId } = await account("anon", 100);
    await reserveDirectly(accountId, 90);
    const res = await chatOk(browser, 20);
    expect(res.status).toBe(429);
    expect(await storedReservations(accountId)).toBe(0);
  });

  it("removes the record it stored ahead of a reservation that then did not hold", async () => {
    const { browser, accountId } = await account("anon", 1_000);
    // The first answer tells the agent there is room, so the next request's record is stored
    // while it reserves; then another spender has taken that room.
    expect((await chatOk(browser, 20)).status).toBe(200);
    await settled(accountId);

    const res = await whileBucketTaken(
      accountId,
      995,
      () => chatOk(browser, 20),
      () => eventually(async () => (await storedReservations(accountId)) === 1),
    );
    expect(res.status).toBe(429);
    expect(await storedReservations(accountId)).toBe(0);
    expect(await usageRows(accountId)).toHaveLength(1);
  });

  it("refunds a reservation it could not record, and tells the caller it was not the model", async () => {
    const { browser, accountId } = await account();
    // The next commit of the object's storage fails, as a full or failing disk would.
    await runInDurableObject(agentFor(accountId), (_, state) => {
      const sync = state.storage.sync.bind(state.storage);
      state.storage.sync = () => {
        state.storage.sync = sync;
        return Promise.reject(new Error("disk I/O error"));
      };
    });

    const res = await chatOk(browser, 20);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: { code: "storage_unavailable" } });
    expect(await usedTokens(accountId)).toBe(0);
    expect(await usageRows(accountId)).toMatchObject([
      { status: "storage_error", debitedTokens: 0 },
    ]);

    // The next request is recorded and runs as usual.
    expect((await chatOk(browser, 20)).status).toBe(200);
  });

  it("a stream open during a merge settles into the surviving account", async () => {
    const login = uniqueLogin("survivor");
    const { me: target } = await signedInWithOidc(login);
    await withDb((db) => seedHistory(db, target.account_id, 100));

    const anon = await account();
    await withDb((db) => seedHistory(db, anon.accountId, 50));
    // Reserved 500 for a stream that has produced 10 pieces when the person links.
    const record = await orphanedReservation(anon.accountId, 500, 10);
    await anon.browser.signInWithOidc(login);
    expect((await anon.browser.me()).account_id).toBe(target.account_id);
    expect(await usedTokens(target.account_id)).toBe(100 + 50 + 500);

    await runDurableObjectAlarm(agentFor(anon.accountId));
    const rows = await usageRows(target.account_id);
    const settled = rows.find((r) => r.id === record.id);
    expect(settled).toMatchObject({ status: "settled_by_alarm", debitedTokens: 50 });
    expect(await usedTokens(target.account_id)).toBe(100 + 50 + 50);
  });
});

describe("AccountAgent's Postgres connection", () => {
  it("answers 503 database_unavailable when Postgres cannot take the reservation, and recovers", async () => {
    const { browser, accountId } = await account();
    type WithClient = { client: Database | null };
    await runInDurableObject(agentFor(accountId), (agent) => {
      (agent as unknown as WithClient).client = connect(
        { connectionString: "postgres://u:p@127.0.0.1:9/db" } as Hyperdrive,
        { connections: 1 },
      );
    });
    const res = await chatOk(browser, 20);
    expect(res.status).toBe(503);
    const body = await res.json<{ error: { code: string; message: string } }>();
    expect(body.error.code).toBe("database_unavailable");
    expect(JSON.stringify(body)).not.toContain("127.0.0.1");

    await runInDurableObject(agentFor(accountId), (agent) => {
      (agent as unknown as WithClient).client = null;
    });
    expect((await chatOk(browser, 20)).status).toBe(200);
    const rows = await eventually(async () => {
      const found = await usageRows(accountId);
      return found.length === 1 ? found : null;
    });
    expect(await usedTokens(accountId)).toBe(rows[0]?.debitedTokens);
  });

  it("reconnects after Postgres closes it between requests (a restart or failover)", async () => {
    const { browser, accountId } = await account();
    const ask = () => chatOk(browser, 20);
    expect((await ask()).status).toBe(200);
    await eventually(async () => (await usageRows(accountId)).length === 1);

    // This agent's own connection, not those of other tests' agents.
    type WithClient = { client: Database };
    const [backend] = await runInDurableObject(
      agentFor(accountId),
      (agent) => (agent as unknown as WithClient).client.$client`select pg_backend_pid() as pid`,
    );
    const [closed] = await withDb(
      (db) => db.$client`select pg_terminate_backend(${backend?.pid}::int) as done`,
    );
    expect(closed?.done).toBe(true);

    // A request that meets the dead connection before its close is noticed gets a clean 503,
    // with nothing reserved; the next runs on a new connection.
    let again = await ask();
    if (again.status === 503) {
      expect(await again.json()).toMatchObject({ error: { code: "database_unavailable" } });
      expect(await usageRows(accountId)).toHaveLength(1);
      again = await ask();
    }
    expect(again.status).toBe(200);
    const rows = await eventually(async () => {
      const found = await usageRows(accountId);
      return found.length === 2 ? found : null;
    });
    expect(await usedTokens(accountId)).toBe(rows.reduce((sum, r) => sum + r.debitedTokens, 0));
  });
});
