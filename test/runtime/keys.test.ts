// /api/keys: the plain key is shown once, only its hash is stored, revocation is idempotent and
// owner-only, and bad bodies are clear 400s.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { hashKey } from "../../src/auth/virtual-keys";
import { virtualKeys } from "../../src/db/schema";
import { Browser } from "./browser";
import { withDb } from "./helpers";

interface NewKey {
  id: string;
  key: string;
  label: string;
  prefix: string;
  revoked_at: string | null;
}

async function signedIn() {
  const browser = new Browser();
  await browser.signInAnonymously();
  return browser;
}

describe("/api/keys", () => {
  it("shows a new key once and stores only its SHA-256", async () => {
    const browser = await signedIn();
    const res = await browser.fetch("/api/keys", { method: "POST", json: { label: "laptop" } });
    expect(res.status).toBe(201);
    const created = await res.json<NewKey>();
    expect(created.key).toMatch(/^gr_[\w-]{43}$/);
    expect(created.key.startsWith(created.prefix)).toBe(true);

    const list = await (await browser.fetch("/api/keys")).json<{
      data: Record<string, unknown>[];
    }>();
    const listed = list.data.find((k) => k.id === created.id);
    expect(listed).toMatchObject({ label: "laptop", revoked_at: null });
    expect(JSON.stringify(list)).not.toContain(created.key);

    const [row] = await withDb((db) =>
      db.select().from(virtualKeys).where(eq(virtualKeys.id, created.id)),
    );
    expect(row?.keyHash).toBe(await hashKey(created.key));
  });

  it("revokes idempotently, and another account's key is a 404", async () => {
    const owner = await signedIn();
    const created = await (
      await owner.fetch("/api/keys", { method: "POST", json: { label: "ci" } })
    ).json<NewKey>();

    const stranger = await signedIn();
    const denied = await stranger.fetch(`/api/keys/${created.id}`, { method: "DELETE" });
    expect(denied.status).toBe(404);
    expect(await denied.json()).toMatchObject({ error: { type: "not_found_error" } });
    expect((await stranger.fetch("/api/keys/not-a-uuid", { method: "DELETE" })).status).toBe(404);

    const first = await owner.fetch(`/api/keys/${created.id}`, { method: "DELETE" });
    expect(first.status).toBe(200);
    const revoked = await first.json<NewKey>();
    expect(revoked.revoked_at).toBeTruthy();
    const second = await (
      await owner.fetch(`/api/keys/${created.id}`, { method: "DELETE" })
    ).json<NewKey>();
    expect(second.revoked_at).toBe(revoked.revoked_at);
  });

  it("caps active keys even under parallel creation", async () => {
    const browser = await signedIn();
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        browser.fetch("/api/keys", { method: "POST", json: { label: `k${i}` } }),
      ),
    );
    const statuses = results.map((r) => r.status);
    // One key (the sign-up default) already exists; the cap is 25 active keys.
    expect(statuses.filter((s) => s === 201)).toHaveLength(24);
    expect(statuses.filter((s) => s === 409)).toHaveLength(6);
  });

  it("answers bad bodies with a 400 in the shared shape, writing nothing", async () => {
    const browser = await signedIn();
    const before = (await (await browser.fetch("/api/keys")).json<{ data: unknown[] }>()).data
      .length;
    const malformed = await browser.fetch("/api/keys", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"label": ',
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({
      error: { type: "invalid_request_error", code: "invalid_json" },
    });
    const tooLong = await browser.fetch("/api/keys", {
      method: "POST",
      json: { label: "x".repeat(101) },
    });
    expect(tooLong.status).toBe(400);
    expect(await tooLong.json()).toMatchObject({
      error: { code: "invalid_request", param: "label" },
    });
    const unknown = await browser.fetch("/api/keys", { method: "POST", json: { admin: true } });
    expect(unknown.status).toBe(400);
    // Postgres cannot store U+0000: the input's fault, so a 400, not a 500.
    const nul = await browser.fetch("/api/keys", { method: "POST", json: { label: "a\u0000b" } });
    expect(nul.status).toBe(400);
    expect(await nul.json()).toMatchObject({ error: { code: "invalid_request" } });
    const after = (await (await browser.fetch("/api/keys")).json<{ data: unknown[] }>()).data
      .length;
    expect(after).toBe(before);
  });

  it("requires a session", async () => {
    expect((await new Browser().fetch("/api/keys")).status).toBe(401);
  });
});
