// What the Worker loads on first use, or builds on request, works on its first use in a new
// isolate: each check starts a new workerd whose Worker evaluates its global scope on that
// request (as on Cloudflare, and as `npm run bench` measures a cold start), so nothing was
// loaded before it. The tokenizer on a first inference (its estimate is exactly the count),
// Anthropic's SDK on a first Anthropic request, the OpenAPI document (which loads the routes
// loaded later, to describe them), the admin API and page, and the virtual-key routes (the
// key every check uses is made in a new isolate of its own).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { countTokens } from "gpt-tokenizer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations } from "../../scripts/lib/postgres.mjs";
import { createKey, signInAnonymously } from "../../scripts/lib/visitor.mjs";
import { startWorkerd } from "../../scripts/lib/workerd.mjs";
import { startScriptedModel } from "../../scripts/scripted-model/server.mjs";
import { freshDatabase, sqlClient } from "./support";

let model: Awaited<ReturnType<typeof startScriptedModel>>;
let databaseUrl: string;
let cookie: string;
let key: string;

type Workerd = Awaited<ReturnType<typeof startWorkerd>>;
// A bundle of its own: other tests bundle the Worker at the same time.
const bundleDir = mkdtempSync(join(tmpdir(), "gradual-first-use-"));
let bundled = false;

/** A new workerd whose Worker has evaluated nothing yet. */
async function newIsolate(): Promise<Workerd> {
  const workerd = await startWorkerd({
    databaseUrl,
    vars: {
      ENVIRONMENT: "development",
      OPENAI_API_KEY: "sk-test-openai",
      OPENAI_BASE_URL: `${model.url}/v1`,
      ANTHROPIC_API_KEY: "sk-test-anthropic",
      ANTHROPIC_BASE_URL: model.url,
    },
    reuseClient: true,
    // Bundled once, by the first start.
    reuseBundle: bundled,
    bundleDir,
    coldStart: true,
    withAssets: true,
  });
  bundled = true;
  return workerd;
}

async function inIsolate<T>(use: (base: string) => Promise<T>): Promise<T> {
  const workerd = await newIsolate();
  try {
    return await use(workerd.url);
  } finally {
    await workerd.stop();
  }
}

const chat = (base: string, model: string, content: string) =>
  fetch(`${base}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ model, max_tokens: 20, messages: [{ role: "user", content }] }),
  });

beforeAll(async () => {
  model = await startScriptedModel();
  databaseUrl = await freshDatabase("first_use");
  await applyMigrations(databaseUrl);
  // A signed-in visitor and a virtual key, made in an isolate of their own.
  await inIsolate(async (base) => {
    ({ cookie } = await signInAnonymously(base));
    key = await createKey(base, cookie, "first use");
  });
}, 120_000);

afterAll(async () => {
  await model?.stop();
  rmSync(bundleDir, { recursive: true, force: true });
});

describe("a new isolate's first use of", () => {
  it("the tokenizer: a first inference reserves exactly the counted prompt", async () => {
    const content = 'A first question, counted before it goes out.\n@scripted {"reply":"ok"}';
    const res = await inIsolate((base) => chat(base, "gpt-5-mini", content));
    expect(res.status).toBe(200);
    const requestId = res.headers.get("x-request-id");
    const sql = sqlClient(databaseUrl);
    try {
      const [row] = await sql`
        select estimated_tokens from usage_log where request_id = ${requestId}`;
      // 3 for the reply's priming, 4 for the message's framing, the text, max_tokens.
      const prompt = 3 + 4 + countTokens(content, { disallowedSpecial: new Set() });
      expect(row?.estimated_tokens).toBe(prompt + 20);
    } finally {
      await sql.end();
    }
  });

  it("Anthropic's SDK: a first Anthropic request is answered", async () => {
    const res = await inIsolate((base) =>
      chat(base, "claude-haiku-4-5", 'Hello Claude\n@scripted {"reply":"Hi from the script"}'),
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { choices: { message: { content: string } }[] };
    expect(body.choices[0]?.message.content).toBe("Hi from the script");
  });

  it("the OpenAPI document, the admin API and the admin page", async () => {
    await inIsolate(async (base) => {
      const doc = await fetch(`${base}/api/openapi.json`);
      expect(doc.status).toBe(200);
      const { paths } = (await doc.json()) as { paths: Record<string, unknown> };
      expect(paths["/api/admin/accounts"]).toBeTruthy();
      expect(paths["/v1/chat/completions"]).toBeTruthy();
      // An anonymous visitor is no admin: the admin API's own answer.
      const admin = await fetch(`${base}/api/admin/me`, { headers: { cookie } });
      expect(admin.status).toBe(403);
      const page = await fetch(`${base}/admin`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<div id="app">');
    });
  });
});
