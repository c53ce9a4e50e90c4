// The Electric stand-in (test/fixtures/electric-stand-in.mjs) speaks Electric's HTTP API well
// enough for the official @electric-sql/client, against the suite's real Postgres.
import { randomUUID } from "node:crypto";
import {
  FetchError,
  isChangeMessage,
  isControlMessage,
  type Message,
  type Row,
  Shape,
  ShapeStream,
} from "@electric-sql/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startElectricStandIn } from "../fixtures/electric-stand-in.mjs";
import { sqlClient, start } from "./support";

const SECRET = "stand-in-secret";
const LIVE_TIMEOUT_MS = 1500;
const TABLE = "standin_items";
const WHERE = "account_id = $1";

function databaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set: run with `npm test`");
  return url;
}

let standIn: Awaited<ReturnType<typeof startElectricStandIn>>;
let sql: ReturnType<typeof sqlClient>;

beforeAll(async () => {
  sql = sqlClient(databaseUrl());
  await sql`drop table if exists standin_items`;
  await sql`
    create table standin_items (
      id uuid primary key default gen_random_uuid(),
      account_id uuid not null,
      title text not null,
      done boolean not null default false,
      created_at timestamptz not null default now()
    )`;
  standIn = await startElectricStandIn({
    databaseUrl: databaseUrl(),
    secret: SECRET,
    liveTimeoutMs: LIVE_TIMEOUT_MS,
  });
});

afterAll(async () => {
  await standIn?.stop();
  await sql`drop table if exists standin_items`;
  await sql.end();
});

function shapeUrl(query: Record<string, string>, base = standIn.url): string {
  return `${base}/v1/shape?${new URLSearchParams({ table: TABLE, secret: SECRET, ...query })}`;
}

/** The query of one account's shape, as the Worker's proxy would send it. */
function accountQuery(accountId: string, extra: Record<string, string> = {}) {
  return { where: WHERE, "params[1]": accountId, ...extra };
}

function asMessages(body: unknown): Message<Row>[] {
  if (!Array.isArray(body)) throw new Error(`expected a JSON array, got ${JSON.stringify(body)}`);
  for (const item of body) {
    if (typeof item !== "object" || item === null || !("headers" in item)) {
      throw new Error(`not an Electric message: ${JSON.stringify(item)}`);
    }
  }
  return body;
}

async function fetchMessages(url: string) {
  const res = await fetch(url);
  return { res, messages: asMessages(await res.json()) };
}

const titles = (messages: Message<Row>[]) =>
  messages.filter(isChangeMessage).map((m) => m.value.title);
const controls = (messages: Message<Row>[]) =>
  messages.filter(isControlMessage).map((m) => m.headers.control);

async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Fails fast instead of leaving a test to hang on a promise the stand-in never settles. */
async function within<T>(promise: Promise<T>, what: string, timeoutMs = 10_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function insertItem(accountId: string, title: string): Promise<string> {
  const [row] = await sql`
    insert into standin_items (account_id, title) values (${accountId}, ${title}) returning id`;
  if (!row) throw new Error("insert returned nothing");
  return String(row.id);
}

/** A ShapeStream on one account's rows, the way the browser will open one. */
function openStream(accountId: string, options: { liveSse?: boolean; secret?: string } = {}) {
  const controller = new AbortController();
  const errors: Error[] = [];
  const stream = new ShapeStream({
    url: `${standIn.url}/v1/shape`,
    params: { table: TABLE, where: WHERE, params: [accountId], secret: options.secret ?? SECRET },
    liveSse: options.liveSse,
    signal: controller.signal,
    onError: (error) => {
      errors.push(error);
    },
  });
  const shape = new Shape(stream);
  const received: Message<Row>[] = [];
  stream.subscribe((messages) => {
    received.push(...messages);
  });
  const close = () => {
    controller.abort();
    shape.unsubscribeAll();
    stream.unsubscribeAll();
  };
  return { stream, shape, received, errors, close };
}

describe("Electric stand-in: initial snapshot and continuation", () => {
  it("serves the offset=-1 snapshot honouring where, params and columns, with Electric's headers", async () => {
    const mine = randomUUID();
    const theirs = randomUUID();
    await insertItem(mine, "mine 1");
    await insertItem(mine, "mine 2");
    await insertItem(theirs, "theirs");

    const { res, messages } = await fetchMessages(
      shapeUrl({ offset: "-1", ...accountQuery(mine, { columns: "id,title" }) }),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(res.headers.get("cache-control")).toMatch(/^public, max-age=604800\b/);
    expect(res.headers.get("electric-handle")).toMatch(/^\d+-\d+$/);
    expect(res.headers.get("electric-offset")).toBe("0_inf");
    // The start of the log is never up to date: the client must continue from 0_inf.
    expect(res.headers.has("electric-up-to-date")).toBe(false);
    expect(JSON.parse(res.headers.get("electric-schema") ?? "null")).toEqual({
      id: { type: "uuid", not_null: true, pk_index: 0 },
      title: { type: "text", not_null: true },
    });
    const rows = messages.filter(isChangeMessage);
    expect(rows.map((m) => m.value.title).sort()).toEqual(["mine 1", "mine 2"]);
    for (const message of rows) {
      expect(message.headers.operation).toBe("insert");
      expect(Object.keys(message.value).sort()).toEqual(["id", "title"]);
      expect(message.key).toBe(`"public"."standin_items"/"${message.value.id}"`);
    }
    expect(controls(messages)).toEqual([]);

    // A cache revalidating the snapshot by its etag gets 304.
    const etag = res.headers.get("etag") ?? "";
    const revalidated = await fetch(
      shapeUrl({ offset: "-1", ...accountQuery(mine, { columns: "id,title" }) }),
      { headers: { "if-none-match": etag } },
    );
    expect(revalidated.status).toBe(304);
    expect(revalidated.headers.get("electric-handle")).toBe(res.headers.get("electric-handle"));

    // `params` as JSON selects the other account; values arrive as Electric's text.
    const other = await fetchMessages(
      shapeUrl({ offset: "-1", where: WHERE, params: JSON.stringify({ 1: theirs }) }),
    );
    const [row] = other.messages.filter(isChangeMessage);
    expect(other.messages).toHaveLength(1);
    expect(row?.value).toMatchObject({ account_id: theirs, title: "theirs", done: "false" });
    expect(row?.value.created_at).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?\+00$/);
    expect(other.res.headers.get("electric-handle")).not.toBe(res.headers.get("electric-handle"));
  });

  it("continues from 0_inf to up-to-date, then long-polls until a change or the timeout", async () => {
    const account = randomUUID();
    await insertItem(account, "before");
    const initial = await fetch(shapeUrl({ offset: "-1", ...accountQuery(account) }));
    const handle = initial.headers.get("electric-handle") ?? "";
    await initial.arrayBuffer();

    const caughtUp = await fetchMessages(
      shapeUrl({ offset: "0_inf", handle, ...accountQuery(account) }),
    );
    expect(caughtUp.res.status).toBe(200);
    expect(caughtUp.res.headers.has("electric-up-to-date")).toBe(true);
    expect(caughtUp.res.headers.get("electric-schema")).toBeTruthy();
    expect(caughtUp.res.headers.get("electric-offset")).toBe("0_inf");
    expect(controls(caughtUp.messages)).toEqual(["up-to-date"]);

    // Nothing changes: held for the whole live timeout, then a bare up-to-date.
    const quietStart = Date.now();
    const quiet = await fetchMessages(
      shapeUrl({ offset: "0_inf", handle, live: "true", cursor: "", ...accountQuery(account) }),
    );
    expect(Date.now() - quietStart).toBeGreaterThanOrEqual(LIVE_TIMEOUT_MS - 100);
    expect(quiet.res.status).toBe(200);
    expect(quiet.res.headers.get("electric-cursor")).toMatch(/^\d+$/);
    expect(quiet.res.headers.has("electric-schema")).toBe(false);
    expect(quiet.res.headers.has("electric-up-to-date")).toBe(true);
    expect(quiet.res.headers.get("cache-control")).toMatch(/^public, max-age=5\b/);
    expect(quiet.messages).toEqual([
      { headers: { control: "up-to-date", global_last_seen_lsn: expect.stringMatching(/^\d+$/) } },
    ]);

    // A change during the poll answers it early with the change and up-to-date.
    const busyStart = Date.now();
    const pending = fetchMessages(
      shapeUrl({ offset: "0_inf", handle, live: "true", cursor: "1", ...accountQuery(account) }),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    await insertItem(account, "during the poll");
    const busy = await pending;
    expect(Date.now() - busyStart).toBeLessThan(LIVE_TIMEOUT_MS);
    expect(titles(busy.messages)).toEqual(["during the poll"]);
    expect(controls(busy.messages)).toEqual(["up-to-date"]);
    expect(busy.res.headers.get("electric-offset")).toMatch(/^[1-9]\d*_0$/);
  });
});

describe("Electric stand-in: replica and offset=now", () => {
  it("sends whole rows and old_value with replica=full, and skips history with offset=now", async () => {
    const account = randomUUID();
    const id = await insertItem(account, "old title");
    const query = accountQuery(account, { replica: "full" });
    const now = await fetchMessages(shapeUrl({ offset: "now", ...query }));
    expect(now.res.status).toBe(200);
    expect(now.res.headers.has("electric-up-to-date")).toBe(true);
    expect(now.res.headers.get("electric-schema")).toBeTruthy();
    expect(controls(now.messages)).toEqual(["up-to-date"]);
    const handle = now.res.headers.get("electric-handle") ?? "";
    const offset = now.res.headers.get("electric-offset") ?? "";

    // Changes are found by polling, so each is read before the next is made.
    await sql`update standin_items set title = 'new title' where id = ${id}`;
    const updated = await fetchMessages(shapeUrl({ offset, handle, ...query }));
    const [update] = updated.messages.filter(isChangeMessage);
    expect(update?.headers.operation).toBe("update");
    expect(update?.value).toMatchObject({ id, account_id: account, title: "new title" });
    expect(update?.old_value).toEqual({ title: "old title" });

    await sql`delete from standin_items where id = ${id}`;
    const next = updated.res.headers.get("electric-offset") ?? "";
    const deleted = await fetchMessages(shapeUrl({ offset: next, handle, ...query }));
    const [remove] = deleted.messages.filter(isChangeMessage);
    expect(remove?.headers.operation).toBe("delete");
    expect(remove?.value).toMatchObject({ id, account_id: account, title: "new title" });
  });
});

describe("Electric stand-in: the official ShapeStream", () => {
  it("syncs to up-to-date, then sees an insert, an update and a delete", async () => {
    const account = randomUUID();
    await insertItem(account, "first");
    await insertItem(randomUUID(), "someone else's");
    const { stream, shape, received, errors, close } = openStream(account);
    try {
      expect((await within(shape.rows, "the snapshot")).map((r) => r.title)).toEqual(["first"]);
      expect(stream.isUpToDate).toBe(true);

      const id = await insertItem(account, "second");
      await waitFor(() => shape.currentRows.some((r) => r.id === id), "the insert");
      await sql`update standin_items set title = 'second, edited', done = true where id = ${id}`;
      await waitFor(
        () => shape.currentRows.some((r) => r.title === "second, edited" && r.done === true),
        "the update",
      );
      await sql`delete from standin_items where id = ${id}`;
      await waitFor(() => !shape.currentRows.some((r) => r.id === id), "the delete");

      const changes = received.filter(isChangeMessage);
      expect(changes.map((m) => m.headers.operation)).toEqual([
        "insert",
        "insert",
        "update",
        "delete",
      ]);
      // replica=default: an update carries the key and changed columns, a delete only the key.
      expect(Object.keys(changes[2]?.value ?? {}).sort()).toEqual(["done", "id", "title"]);
      expect(changes[3]?.value).toEqual({ id });
      expect(shape.currentRows.map((r) => r.title)).toEqual(["first"]);
      expect(errors).toEqual([]);

      const live = standIn.requests.filter(
        (r) => r.query["params[1]"] === account && r.query.live === "true",
      );
      expect(live.length).toBeGreaterThan(0);
      for (const request of live) {
        expect(request.query.handle).toBe(stream.shapeHandle);
        expect(request.query.cursor).toBeDefined();
      }
    } finally {
      close();
    }
  });

  it("streams over SSE when the client asks for live_sse", async () => {
    const account = randomUUID();
    const { shape, errors, close } = openStream(account, { liveSse: true });
    try {
      expect(await within(shape.rows, "the snapshot")).toEqual([]);
      const id = await insertItem(account, "over sse");
      await waitFor(() => shape.currentRows.some((r) => r.id === id), "the insert over SSE");
      expect(errors).toEqual([]);
      const sse = standIn.requests.filter(
        (r) => r.query["params[1]"] === account && r.query.live_sse === "true",
      );
      expect(sse.length).toBeGreaterThan(0);
    } finally {
      close();
    }
  });
});

describe("Electric stand-in: expired handles", () => {
  it("answers 409 must-refetch with the new handle for an expired or unknown handle", async () => {
    const account = randomUUID();
    await insertItem(account, "kept");
    const first = await fetch(shapeUrl({ offset: "-1", ...accountQuery(account) }));
    const handle = first.headers.get("electric-handle") ?? "";
    await first.arrayBuffer();

    expect(standIn.expireHandle(handle)).toBe(true);
    const expired = await fetchMessages(
      shapeUrl({ offset: "0_inf", handle, ...accountQuery(account) }),
    );
    expect(expired.res.status).toBe(409);
    expect(expired.messages).toEqual([{ headers: { control: "must-refetch" } }]);
    const replacement = expired.res.headers.get("electric-handle");
    expect(replacement).toBeTruthy();
    expect(replacement).not.toBe(handle);

    const again = await fetchMessages(shapeUrl({ offset: "-1", ...accountQuery(account) }));
    expect(again.res.headers.get("electric-handle")).toBe(replacement);
    expect(titles(again.messages)).toEqual(["kept"]);

    const unknown = await fetch(
      shapeUrl({ offset: "0_inf", handle: "1-1", ...accountQuery(account) }),
    );
    expect(unknown.status).toBe(409);
    expect(unknown.headers.get("electric-handle")).toBe(replacement);
  });

  it("lets the client recover: it refetches under a new handle and keeps syncing", async () => {
    const account = randomUUID();
    await insertItem(account, "before expiry");
    const { stream, shape, received, errors, close } = openStream(account);
    try {
      await within(shape.rows, "the snapshot");
      const before = stream.shapeHandle ?? "";
      await waitFor(
        () => standIn.requests.some((r) => r.query.handle === before && r.query.live === "true"),
        "a live poll",
      );
      // Through the HTTP control API, as a test in another process would do it.
      const expire = await fetch(`${standIn.url}/__stand-in/expire?handle=${before}`, {
        method: "POST",
      });
      expect(expire.status).toBe(200);

      await waitFor(() => controls(received).includes("must-refetch"), "must-refetch");
      await waitFor(() => stream.shapeHandle !== before && stream.isUpToDate, "a new handle");
      const id = await insertItem(account, "after expiry");
      await waitFor(() => shape.currentRows.some((r) => r.id === id), "the insert after expiry");
      expect(shape.currentRows.map((r) => r.title).sort()).toEqual([
        "after expiry",
        "before expiry",
      ]);
      expect(errors).toEqual([]);
      // The client marks the old handle expired on its restart request.
      expect(
        standIn.requests.some((r) => r.query.expired_handle === before && r.query.offset === "-1"),
      ).toBe(true);
    } finally {
      close();
    }
  });
});

describe("Electric stand-in: authentication and bad requests", () => {
  it("answers 401 unless secret (or the older api_secret) matches", async () => {
    const query = { offset: "-1", ...accountQuery(randomUUID()) };
    const wrong = await fetch(shapeUrl({ ...query, secret: "wrong" }));
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ message: "Unauthorized - Invalid API secret" });

    const { secret: _, ...withoutSecret } = Object.fromEntries(
      new URL(shapeUrl(query)).searchParams,
    );
    const missing = await fetch(`${standIn.url}/v1/shape?${new URLSearchParams(withoutSecret)}`);
    expect(missing.status).toBe(401);
    await missing.arrayBuffer();

    const legacy = await fetch(
      `${standIn.url}/v1/shape?${new URLSearchParams({ ...withoutSecret, api_secret: SECRET })}`,
    );
    expect(legacy.status).toBe(200);
    await legacy.arrayBuffer();

    const { errors, close } = openStream(randomUUID(), { secret: "wrong" });
    try {
      await waitFor(() => errors.length > 0, "the client's error");
      expect(errors[0]).toBeInstanceOf(FetchError);
      expect(errors[0] instanceof FetchError && errors[0].status).toBe(401);
    } finally {
      close();
    }
  });

  it("answers 400 with a JSON error body for bad parameters", async () => {
    const cases: [Record<string, string>, string][] = [
      [{ offset: "-1", table: "" }, "table"],
      [{ offset: "-1", where: "no_such_column = 1" }, "where"],
      [{ offset: "-1", ...accountQuery("not-a-uuid") }, "params"],
      [{ offset: "0_inf" }, "handle"],
      [{ offset: "soon" }, "offset"],
      [{ offset: "-1", live: "true" }, "live"],
      [{ offset: "-1", columns: "title" }, "columns"],
      [{ offset: "-1", table: "no_such_table" }, "table"],
    ];
    for (const [query, field] of cases) {
      const res = await fetch(shapeUrl(query));
      expect(res.status, JSON.stringify(query)).toBe(400);
      expect(res.headers.get("content-type")).toContain("application/json");
      const body: unknown = await res.json();
      expect(body, JSON.stringify(query)).toEqual({
        message: "Invalid request",
        errors: { [field]: [expect.any(String)] },
      });
    }
  });
});

describe("Electric stand-in: SSE", () => {
  it("streams each change as a data: event while the response stays open", async () => {
    const account = randomUUID();
    const initial = await fetch(shapeUrl({ offset: "-1", ...accountQuery(account) }));
    const handle = initial.headers.get("electric-handle") ?? "";
    await initial.arrayBuffer();

    const started = Date.now();
    const res = await fetch(
      shapeUrl({
        offset: "0_inf",
        handle,
        live: "true",
        live_sse: "true",
        cursor: "",
        ...accountQuery(account),
      }),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    expect(res.headers.get("electric-handle")).toBe(handle);
    expect(res.headers.get("electric-offset")).toBe("0_inf");
    expect(res.headers.get("electric-cursor")).toMatch(/^\d+$/);
    if (!res.body) throw new Error("no body");

    await insertItem(account, "streamed");
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let text = "";
    let firstEventAt = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      if (!firstEventAt && text.includes("\n\n")) firstEventAt = Date.now();
    }
    const endedAt = Date.now();

    // The event arrived well before the live timeout closed the stream: it was not buffered.
    expect(firstEventAt - started).toBeLessThan(LIVE_TIMEOUT_MS - 500);
    expect(endedAt - started).toBeGreaterThanOrEqual(LIVE_TIMEOUT_MS - 100);
    const events = text
      .split("\n\n")
      .filter(Boolean)
      .map((event): unknown => {
        expect(event).toMatch(/^data: /);
        return JSON.parse(event.slice("data: ".length));
      });
    const [insert, upToDate] = asMessages(events);
    expect(events).toHaveLength(2);
    expect(insert && isChangeMessage(insert) && insert.value.title).toBe("streamed");
    expect(upToDate?.headers).toEqual({
      control: "up-to-date",
      global_last_seen_lsn: insert?.headers.lsn,
    });
  });
});

describe("Electric stand-in: test controls and lifecycle", () => {
  it("records every request, readable and clearable over HTTP", async () => {
    const cleared = await fetch(`${standIn.url}/__stand-in/requests`, { method: "DELETE" });
    expect(cleared.status).toBe(204);
    expect(standIn.requests).toEqual([]);

    const account = randomUUID();
    const res = await fetch(shapeUrl({ offset: "-1", ...accountQuery(account) }));
    await res.arrayBuffer();
    const listed: unknown = await (await fetch(`${standIn.url}/__stand-in/requests`)).json();
    expect(listed).toEqual([
      {
        path: "/v1/shape",
        query: {
          table: TABLE,
          secret: SECRET,
          offset: "-1",
          where: WHERE,
          "params[1]": account,
        },
        accessClientId: null,
        receivedAt: expect.any(Number),
      },
    ]);
    expect(listed).toEqual(standIn.requests);
  });

  it("stop() ends held long-polls and closes its Postgres connections", async () => {
    const own = await startElectricStandIn({ databaseUrl: databaseUrl(), secret: SECRET });
    const account = randomUUID();
    const initial = await fetch(shapeUrl({ offset: "-1", ...accountQuery(account) }, own.url));
    const handle = initial.headers.get("electric-handle") ?? "";
    await initial.arrayBuffer();
    const connections = async () => {
      const [row] = await sql`
        select count(*)::int as n from pg_stat_activity
        where application_name = ${`electric-stand-in ${own.port}`}`;
      return Number(row?.n);
    };
    expect(await connections()).toBeGreaterThan(0);

    const started = Date.now();
    const held = fetchMessages(
      shapeUrl({ offset: "0_inf", handle, live: "true", ...accountQuery(account) }, own.url),
    );
    await waitFor(() => own.requests.some((r) => r.query.live === "true"), "the live poll");
    await own.stop();
    const { res, messages } = await held;
    // The default live timeout is 20 s: only stop() can have answered this soon.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(res.status).toBe(200);
    expect(controls(messages)).toEqual(["up-to-date"]);
    // Backends leave pg_stat_activity a moment after the client hangs up.
    await waitFor(async () => (await connections()) === 0, "its connections to close", 5_000);
  });

  it("runs on its own with DATABASE_URL, ELECTRIC_SECRET and PORT", async () => {
    const running = start(process.execPath, ["test/fixtures/electric-stand-in.mjs"], {
      ...process.env,
      DATABASE_URL: databaseUrl(),
      ELECTRIC_SECRET: SECRET,
      PORT: "0",
    });
    try {
      await waitFor(() => /listening on http:\/\/\S+/.test(running.output()), "its URL");
      const url = /listening on (http:\/\/\S+)/.exec(running.output())?.[1] ?? "";
      const res = await fetch(shapeUrl({ offset: "-1", ...accountQuery(randomUUID()) }, url));
      expect(res.status).toBe(200);
      expect(res.headers.get("electric-offset")).toBe("0_inf");
      await res.arrayBuffer();
    } finally {
      await running.stop();
    }
    expect(running.child.exitCode).toBe(0);
  });
});
