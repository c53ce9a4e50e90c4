// The OpenAPI document is generated from the validating schemas and covers every route the
// Worker serves; a route added without a documented schema fails this test.
import { describe, expect, it } from "vitest";
import { buildApp, LOADED_LATER } from "../../src/app";
import { call } from "./helpers";

// Served by the Worker but not part of the JSON API it documents.
const UNDOCUMENTED = new Set([
  "GET /api/auth/*", // Better Auth's own endpoints
  "POST /api/auth/*",
  "POST /api/auth/sign-in/anonymous", // the rate limit in front of Better Auth's
  "POST /api/auth/delete-anonymous-user", // Better Auth's, closed
  "GET /api/openapi.json",
  "GET /api/docs",
  "GET /admin/*", // the admin UI's page, from the client build
  "GET /assets/python-worker-*", // the Python worker's script, with its security policy
]);

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
}

describe("GET /api/openapi.json", () => {
  it("is OpenAPI 3.1 and documents every route the app serves", async () => {
    const res = await call("/api/openapi.json");
    expect(res.status).toBe(200);
    const doc = await res.json<OpenApiDocument>();
    expect(doc.openapi).toBe("3.1.0");

    // The app's routes, and those of the modules it loads on their first request.
    const apps = [
      buildApp(),
      ...(await Promise.all(Object.values(LOADED_LATER).map((l) => l.routes()))),
    ];
    const served = new Set(
      apps.flatMap((app) =>
        app.routes.filter((r) => r.method !== "ALL").map((r) => `${r.method} ${r.path}`),
      ),
    );
    expect(served).toContain("POST /api/admin/accounts/:id/tier");
    expect(served).toContain("POST /api/keys");
    expect(served.size).toBeGreaterThan(20);
    const missing = [...served]
      .filter((route) => !UNDOCUMENTED.has(route))
      .filter((route) => {
        const [method = "", path = ""] = route.split(" ");
        const openApiPath = path.replace(/:(\w+)/g, "{$1}");
        const operation = doc.paths[openApiPath]?.[method.toLowerCase()];
        return !operation || !Object.keys(operation.responses).length;
      });
    expect(missing).toEqual([]);
  });

  it("describes request bodies with the schemas that validate them", async () => {
    const doc = await (await call("/api/openapi.json")).json<
      OpenApiDocument & { components: { schemas: Record<string, unknown> } }
    >();
    for (const name of [
      "ChatCompletionRequest",
      "ToolCallCompletion",
      "Me",
      "Error",
      "AdminAccount",
    ]) {
      expect(doc.components.schemas[name]).toBeTruthy();
    }
    expect(JSON.stringify(doc.paths["/v1/chat/completions"])).toContain(
      "#/components/schemas/ChatCompletionRequest",
    );
  });

  it("has a docs page", async () => {
    const res = await call("/api/docs");
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("/api/openapi.json");
  });
});

describe("/admin", () => {
  it("serves the client's page for the admin UI", async () => {
    for (const path of ["/admin", "/admin/accounts"]) {
      const res = await call(path);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('<div id="app">');
    }
  });
});
