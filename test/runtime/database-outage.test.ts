// While the database cannot be reached, every route answers 503 database_unavailable with
// Retry-After: the app's own, those Better Auth answers (which turn the failure into their own
// 500s, error redirects, or a sign-out that "succeeded"), and the AccountAgent's. A signed-in
// cookie is never answered 401 because of it, and nothing is logged as an unhandled error.
import {
  createExecutionContext,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { APIError } from "better-auth/api";
import { DrizzleQueryError } from "drizzle-orm";
import { describe, expect, inject, it } from "vitest";
import { connect, type Database } from "../../src/db/client";
import { databaseUnavailable } from "../../src/db/errors";
import { DATABASE_RETRY_AFTER_SECONDS } from "../../src/errors";
import worker from "../../src/index";
import { Browser, signedInWithOidc, uniqueLogin } from "./browser";
import { call, captureLogs } from "./helpers";
import { account, agentFor, chatOk } from "./inference-helpers";

/** Nothing listens there: connections are refused at once. */
const REFUSED = "postgres://u:p@127.0.0.1:9/db";

/** The same Worker with its database at `connectionString`, and `browser`'s cookies. */
function cutOff(browser: Browser, connectionString = REFUSED): Browser {
  const bindings = { ...env, HYPERDRIVE: { ...env.HYPERDRIVE, connectionString } as Hyperdrive };
  const outage = new Browser(async (request) => {
    const ctx = createExecutionContext();
    const res = await worker.fetch(request, bindings, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  });
  for (const [name, value] of browser.cookies) outage.cookies.set(name, value);
  return outage;
}

/** Asserts the 503 in the shared shape with Retry-After, and that the log calls it an outage. */
async function expectUnavailable(send: () => Promise<Response>, what: string) {
  const { result: res, lines } = await captureLogs(send);
  expect(res.status, what).toBe(503);
  expect(res.headers.get("retry-after"), what).toBe(String(DATABASE_RETRY_AFTER_SECONDS));
  expect(res.headers.get("content-type"), what).toContain("application/json");
  const body = await res.json<{ error: Record<string, unknown> }>();
  expect(body, what).toEqual({
    error: {
      type: "service_unavailable",
      code: "database_unavailable",
      message: "The database did not answer",
    },
  });
  expect(
    lines.filter((l) => l.includes('"unhandled error"')),
    what,
  ).toEqual([]);
  return res;
}

const UUID = "00000000-0000-4000-8000-000000000000";
const json = (method: string, body: unknown = {}) => ({ method, json: body });

/** Every route that takes the session cookie, and what a page would send it. */
const SESSION_ROUTES: [string, RequestInit & { json?: unknown }][] = [
  ["/api/me", {}],
  ["/api/quota", {}],
  ["/api/keys", {}],
  ["/api/keys", json("POST", { label: "x" })],
  [`/api/keys/${UUID}`, { method: "DELETE" }],
  ["/api/sessions", {}],
  [`/api/sessions/${UUID}/messages`, {}],
  [`/api/sessions/${UUID}`, json("PATCH", { title: "x" })],
  [`/api/sessions/${UUID}`, { method: "DELETE" }],
  ["/api/tool-calls/call_1/complete", json("POST", { status: "skipped" })],
  ["/api/sync/agent_sessions?offset=-1", {}],
  [
    "/api/inference",
    json("POST", { model: "gpt-5-mini", messages: [{ role: "user", content: "hi" }] }),
  ],
  ["/api/admin/me", {}],
  ["/api/admin/accounts", {}],
  [`/api/admin/accounts/${UUID}/tier`, json("POST", { tier: "pro" })],
  [`/api/admin/keys/${UUID}/revoke`, json("POST")],
  ["/api/auth/get-session", {}],
  ["/api/auth/list-accounts", {}],
  ["/api/auth/sign-out", json("POST")],
  ["/api/auth/link-social", json("POST", { provider: "oidc", callbackURL: "/" })],
];

describe("with the database unreachable", () => {
  it("a signed-in person gets 503 database_unavailable from every route, never 401", async () => {
    // Signed in with a provider, so /api/admin would let them in (development, no list).
    const { browser } = await signedInWithOidc(uniqueLogin("outage"));
    const outage = cutOff(browser);
    for (const [path, init] of SESSION_ROUTES) {
      const res = await expectUnavailable(
        () => outage.fetch(path, init),
        `${init.method ?? "GET"} ${path}`,
      );
      // Better Auth's answer (a sign-out clearing the cookie) is not passed on.
      expect(res.headers.getSetCookie(), path).toEqual([]);
    }
    // The person is still signed in once the database is back.
    expect((await browser.fetch("/api/me")).status).toBe(200);
  });

  it("anonymous sign-in, social sign-in and its callback are 503 too", async () => {
    const visitor = cutOff(new Browser());
    await expectUnavailable(() => visitor.signInAnonymously(), "sign-in/anonymous");
    await expectUnavailable(
      () => visitor.fetch("/api/auth/sign-in/social", json("POST", { provider: "oidc" })),
      "sign-in/social",
    );
    // A callback cannot read its state: Better Auth would redirect to its error page.
    await expectUnavailable(
      () => visitor.fetch("/api/auth/callback/oidc?code=c&state=s"),
      "callback/oidc",
    );
  });

  it("without a cookie, /api/me is still 401: no database is needed to know that", async () => {
    const res = await cutOff(new Browser()).fetch("/api/me");
    expect(res.status).toBe(401);
  });

  it("is 503 too when the database accepts connections but never answers", async () => {
    const { browser } = await account();
    const hanging = cutOff(browser, `postgres://u:p@127.0.0.1:${inject("blackHolePort")}/db`);
    await expectUnavailable(() => hanging.fetch("/api/me"), "/api/me (black hole)");
  });

  it("the AccountAgent's own database away: /api/inference is 503 with Retry-After", async () => {
    const { browser, accountId } = await account();
    type WithClient = { client: Database | null };
    await runInDurableObject(agentFor(accountId), (agent) => {
      (agent as unknown as WithClient).client = connect(
        { connectionString: REFUSED } as Hyperdrive,
        {
          connections: 1,
        },
      );
    });
    try {
      await expectUnavailable(() => chatOk(browser, 20), "/api/inference (agent)");
    } finally {
      await runInDurableObject(agentFor(accountId), (agent) => {
        (agent as unknown as WithClient).client = null;
      });
    }
    expect((await chatOk(browser, 20)).status).toBe(200);
  });
});

describe("the API description", () => {
  it("lists the 503 with Retry-After on the routes that read the database", async () => {
    type Doc = {
      paths: Record<string, Record<string, { responses: Record<string, { headers?: object }> }>>;
    };
    const doc = await (await call("/api/openapi.json")).json<Doc>();
    for (const [path, method] of [
      ["/api/me", "get"],
      ["/api/keys", "post"],
      ["/api/sessions", "get"],
      ["/api/inference", "post"],
      ["/api/admin/accounts", "get"],
      ["/v1/models", "get"],
    ] as const)
      expect(
        doc.paths[path]?.[method]?.responses["503"]?.headers,
        `${method} ${path}`,
      ).toHaveProperty("Retry-After");
  });
});

describe("databaseUnavailable", () => {
  // What `npm run dev` met with Postgres stopped: the Hyperdrive binding's socket error, inside
  // the APIError Better Auth wraps a failed session lookup in.
  it("sees Hyperdrive's failed connection through Better Auth's and drizzle's wrapping", () => {
    const socket = new Error("connection attempt failed");
    const query = new DrizzleQueryError('select "id" from "session" where $1', ["token"], socket);
    const wrapped = APIError.from(
      "INTERNAL_SERVER_ERROR",
      { code: "FAILED_TO_GET_SESSION", message: "Failed to get session" },
      { cause: query },
    );
    expect(databaseUnavailable(wrapped)).toBe(true);
    expect(databaseUnavailable(APIError.from("UNAUTHORIZED", { code: "X", message: "x" }))).toBe(
      false,
    );
  });
});
