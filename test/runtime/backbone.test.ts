// The backbone: health against real Postgres, bounded failure when it is gone, JSON errors,
// request ids and one JSON log line per request.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { AGENT_APPLICATION_NAME } from "../../src/account-agent";
import { MAX_BODY_BYTES } from "../../src/app";
import { connect, disconnect } from "../../src/db/client";
import worker from "../../src/index";
import { call, captureLogs, ORIGIN } from "./helpers";

function withDatabaseAt(connectionString: string) {
  const hyperdrive = { ...env.HYPERDRIVE, connectionString } as Hyperdrive;
  return { ...env, HYPERDRIVE: hyperdrive };
}

/**
 * Calls the Worker in this isolate. Bodies near a megabyte go this way: through the test
 * pool's loopback binding they would cross its WebSocket, which caps messages at 1 MiB.
 */
async function direct(path: string, init?: RequestInit, bindings = env) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`${ORIGIN}${path}`, init), bindings, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

async function healthWith(connectionString: string) {
  const ctx = createExecutionContext();
  const started = Date.now();
  // The same Worker, handed a Hyperdrive binding whose database is not there.
  const res = await worker.fetch(
    new Request(`${ORIGIN}/api/health`),
    withDatabaseAt(connectionString),
    ctx,
  );
  const elapsed = Date.now() - started;
  await waitOnExecutionContext(ctx);
  return { res, elapsed };
}

describe("GET /api/health", () => {
  it("is 200 with db ok when Postgres answers", async () => {
    const res = await call("/api/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, db: "ok" });
  });

  it("is 503 quickly when the database refuses connections", async () => {
    const { res, elapsed } = await healthWith("postgres://u:p@127.0.0.1:9/db");
    expect(res.status).toBe(503);
    const body = await res.json<{ error: { type: string; code: string; message: string } }>();
    expect(body.error).toMatchObject({ type: "service_unavailable", code: "database_unavailable" });
    expect(JSON.stringify(body)).not.toContain("127.0.0.1");
    expect(elapsed).toBeLessThan(10_000);
  });

  it("is 503, not a hang, when the database accepts but never answers", async () => {
    const { res, elapsed } = await healthWith(
      `postgres://u:p@127.0.0.1:${inject("blackHolePort")}/db`,
    );
    expect(res.status).toBe(503);
    expect(res.headers.get("X-Request-Id")).toBeTruthy();
    // Bounded by the health check's own timeout, far below any client's patience.
    expect(elapsed).toBeLessThan(10_000);
  });
});

describe("errors are JSON with the shared shape", () => {
  it("unknown routes are 404", async () => {
    const res = await call("/api/no-such-thing");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(await res.json()).toMatchObject({
      error: { type: "not_found_error", code: "not_found" },
    });
  });

  it("bodies over the cap are 413, whatever the route", async () => {
    const big = "x".repeat(MAX_BODY_BYTES + 1);
    const res = await direct("/api/health", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: big,
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({
      error: { type: "invalid_request_error", code: "payload_too_large" },
    });
  });

  it("a streamed body over the cap (no Content-Length) is 413 too", async () => {
    const chunk = new TextEncoder().encode("y".repeat(64 * 1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > MAX_BODY_BYTES) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const res = await direct("/api/health", {
      method: "POST",
      body,
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(413);
  });
});

describe("request ids and log lines", () => {
  it("every response carries X-Request-Id, and a sane incoming one is kept", async () => {
    for (const path of ["/api/health", "/api/nope"]) {
      const res = await call(path);
      expect(res.headers.get("X-Request-Id")).toMatch(/^[\w-]{8,}$/);
    }
    const res = await call("/api/health", { headers: { "X-Request-Id": "trace-abc-123" } });
    expect(res.headers.get("X-Request-Id")).toBe("trace-abc-123");
  });

  it("writes exactly one parseable JSON log line per request", async () => {
    const { result: res, lines } = await captureLogs(() => call("/api/health"));
    const requestLines = lines.filter((l) => l.includes('"msg":"request"'));
    expect(requestLines).toHaveLength(1);
    const line = JSON.parse(requestLines[0] ?? "");
    expect(line).toMatchObject({
      msg: "request",
      request_id: res.headers.get("X-Request-Id"),
      method: "GET",
      route: "/api/health",
      status: 200,
    });
    expect(typeof line.duration_ms).toBe("number");
  });
});

describe("Postgres connections", () => {
  // Request connections only: Durable Objects keep theirs on purpose (other test files run
  // alongside this one and their agents' connections come and go).
  async function otherConnections() {
    const db = connect(env.HYPERDRIVE);
    try {
      const rows = await db.$client<{ n: number }[]>`
        select count(*)::int as n from pg_stat_activity
        where datname = current_database() and pid <> pg_backend_pid()
          and application_name <> ${AGENT_APPLICATION_NAME}`;
      return rows[0]?.n ?? 0;
    } finally {
      await disconnect(db);
    }
  }

  it("are closed after each request, sequential or parallel", async () => {
    const before = await otherConnections();
    for (let i = 0; i < 40; i++) expect((await call("/api/health")).status).toBe(200);
    const parallel = await Promise.all(Array.from({ length: 40 }, () => call("/api/health")));
    expect(parallel.every((r) => r.status === 200)).toBe(true);
    // Closing finishes just after the responses; a leak would leave ~80 behind.
    let after = await otherConnections();
    for (let i = 0; i < 20 && after > before + 5; i++) {
      await new Promise((r) => setTimeout(r, 250));
      after = await otherConnections();
    }
    expect(after).toBeLessThanOrEqual(before + 5);
  });
});
