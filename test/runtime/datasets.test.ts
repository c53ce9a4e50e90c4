// The dataset catalog and downloads, against a loopback stand-in for the files' source
// (test/fixtures/datasets-upstream.mjs): the catalog matches the real files, a download is the
// file's exact bytes, the second comes from the edge cache, only catalog ids are fetched, a
// source that misbehaves fails the download instead of truncating it, and the limit holds.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Buffer } from "node:buffer";
import { describe, expect, inject, it, vi } from "vitest";
import { loadConfig } from "../../src/config";
import {
  CATALOG_VERSION,
  COLUMN_TYPES,
  catalogVersion,
  DATASETS,
  type Dataset,
  findDataset,
} from "../../src/datasets/catalog";
import { cacheKey } from "../../src/datasets/download";
import { AppError } from "../../src/errors";
import worker from "../../src/index";
import { Browser, browserWith } from "./browser";
import { ORIGIN } from "./helpers";

const upstream = inject("datasetsUpstreamUrl");
const fixtures = inject("datasetFixtures");
const CSVS = DATASETS.filter((d) => d.format === "csv");
const PUBLIC_FIELDS = [
  "columns",
  "description",
  "file_name",
  "format",
  "id",
  "license",
  "rows",
  "size_bytes",
  "source",
  "title",
];

function dataset(id: string): Dataset {
  const found = findDataset(id);
  if (!found) throw new Error(`no dataset ${id}`);
  return found;
}

function fixture(entry: Dataset): Uint8Array {
  const base64 = fixtures[entry.path];
  if (base64 === undefined) throw new Error(`no fixture for ${entry.path}`);
  return new Uint8Array(Buffer.from(base64, "base64"));
}

/** A source no other test uses: the stand-in serves it as-is, under a fresh cache key. */
function freshSource(label: string): string {
  return `${upstream}/_ok.${label}-${crypto.randomUUID().slice(0, 8)}/`;
}

async function upstreamRequests(): Promise<Record<string, number>> {
  return (await fetch(`${upstream}/__requests`)).json();
}

/** How many requests reached the stand-in for `entry` under `base`. */
async function requestsFor(base: string, entry: Dataset): Promise<number> {
  const path = new URL(entry.path, base).pathname;
  return (await upstreamRequests())[path] ?? 0;
}

async function totalRequests(): Promise<number> {
  return Object.values(await upstreamRequests()).reduce((a, b) => a + b, 0);
}

/** A person signed in anonymously, to a Worker with `vars` (a source, a cap, a timeout). */
async function signedIn(vars: Record<string, string> = {}): Promise<Browser> {
  const browser = browserWith(vars);
  const res = await browser.signInAnonymously();
  if (res.status !== 200) throw new Error(`sign-in: ${res.status} ${await res.text()}`);
  return browser;
}

const download = (browser: Browser, id: string, init?: RequestInit) =>
  browser.fetch(`/api/datasets/${id}/download`, init);

/**
 * The edge copy of `id` from `base`, once stored: it is stored after the caller has read the
 * whole body, while the Worker finishes the request.
 */
function storedCopy(base: string, id: string): Promise<Response> {
  return vi.waitFor(
    async () => {
      const copy = await caches.default.match(cacheKey(ORIGIN, base, id));
      if (!copy) throw new Error("no edge copy yet");
      return copy;
    },
    { timeout: 5_000, interval: 20 },
  );
}

/** Lets the Worker finish what it does after a response (storing a copy, if it were to). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 200));

async function errorOf(res: Response) {
  const text = await res.text();
  return { text, body: JSON.parse(text) as { error: { code: string; message: string } } };
}

/** Nothing in an error may name the source: its host, its port, or a file's path. */
function expectNoSourceNamed(text: string) {
  const host = new URL(upstream);
  for (const secret of [
    host.host,
    host.port,
    "127.0.0.1",
    "http",
    "vega-datasets",
    "@observablehq",
  ])
    expect(text).not.toContain(secret);
}

/** CSV records (RFC 4180: quoted fields may hold commas, quotes and newlines). */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === "") quoted = true;
    else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\n") {
      row.push(field.replace(/\r$/, ""));
      records.push(row);
      row = [];
      field = "";
    } else field += ch;
  }
  if (field !== "" || row.length) records.push([...row, field]);
  return records;
}

/** The narrowest catalog type every present value fits ("" and NaN are missing values). */
function inferType(values: string[]): Dataset["columns"][number]["type"] {
  const present = values.filter((v) => v !== "" && v !== "NaN");
  const all = (pattern: RegExp) => present.length > 0 && present.every((v) => pattern.test(v));
  if (all(/^(true|false)$/i)) return "boolean";
  if (all(/^-?\d+$/)) return "integer";
  if (all(/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/)) return "number";
  if (all(/^\d{4}-\d{2}-\d{2}([T ][\d:.]+Z?)?$/)) return "date";
  return "string";
}

describe("the catalog", () => {
  it("has unique URL-safe ids, plain file names, relative paths, sizes and columns", () => {
    expect(DATASETS.length).toBeGreaterThanOrEqual(5);
    expect(new Set(DATASETS.map((d) => d.id)).size).toBe(DATASETS.length);
    expect(new Set(DATASETS.map((d) => d.file_name)).size).toBe(DATASETS.length);
    for (const d of DATASETS) {
      expect(d.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(d.file_name).toMatch(/^[A-Za-z0-9_-][A-Za-z0-9._-]*\.(csv|parquet)$/);
      expect(d.file_name).not.toContain("..");
      expect(d.file_name.endsWith(`.${d.format}`)).toBe(true);
      // Relative, pinned to a package version, and staying under the base URL.
      expect(d.path).toMatch(/^(@[a-z0-9-]+\/)?[a-z0-9-]+@\d+\.\d+\.\d+\/[A-Za-z0-9@._/-]+$/);
      expect(d.path.split("/")).not.toContain("..");
      expect(new URL(d.path, "https://cdn.example/npm/").href).toBe(
        `https://cdn.example/npm/${d.path}`,
      );
      expect(d.size_bytes).toBeGreaterThan(0);
      expect(Number.isInteger(d.size_bytes)).toBe(true);
      expect(d.rows).toBeGreaterThan(0);
      expect(d.columns.length).toBeGreaterThan(0);
      for (const c of d.columns) expect(COLUMN_TYPES).toContain(c.type);
      expect(d.title && d.description && d.license).toBeTruthy();
      expect(d.description).not.toContain("\n");
      expect(d.source).toMatch(/^https:\/\//);
    }
    expect(DATASETS.filter((d) => d.format === "parquet")).toHaveLength(1);
  });

  it.each(CSVS.map((d) => [d.id, d] as const))(
    "%s matches its file: size, rows, header and column types",
    (_id, entry) => {
      const bytes = fixture(entry);
      expect(bytes.byteLength).toBe(entry.size_bytes);
      const [header, ...rows] = parseCsv(
        new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes),
      );
      expect(header).toEqual(entry.columns.map((c) => c.name));
      expect(rows).toHaveLength(entry.rows);
      for (const row of rows) expect(row).toHaveLength(entry.columns.length);
      const types = entry.columns.map((_, i) => inferType(rows.map((r) => r[i] ?? "")));
      expect(types).toEqual(entry.columns.map((c) => c.type));
    },
  );

  it("has a version that changes whenever any entry does", () => {
    expect(CATALOG_VERSION).toMatch(/^[0-9a-f]{12}$/);
    expect(catalogVersion(DATASETS)).toBe(CATALOG_VERSION);
    const [first, ...rest] = DATASETS as [Dataset, ...Dataset[]];
    for (const change of [
      { rows: first.rows + 1 },
      { size_bytes: first.size_bytes + 1 },
      { path: `${first.path}?v=2` },
      { columns: [...first.columns, { name: "x", type: "string" as const }] },
    ])
      expect(catalogVersion([{ ...first, ...change }, ...rest])).not.toBe(CATALOG_VERSION);
    expect(catalogVersion(rest)).not.toBe(CATALOG_VERSION);
  });
});

describe("configuration", () => {
  it("defaults to jsDelivr's npm mirror, 32 MiB and 15 s", () => {
    const { datasets } = loadConfig({ ...env, DATASETS_BASE_URL: "" } as typeof env);
    expect(datasets).toEqual({
      baseUrl: "https://cdn.jsdelivr.net/npm/",
      maxBytes: 32 * 1024 * 1024,
      timeoutMs: 15_000,
    });
  });

  it("takes DATASETS_BASE_URL as an absolute http(s) URL ending in /, nothing else", async () => {
    const withBase = (value: string) =>
      loadConfig({ ...env, DATASETS_BASE_URL: value } as typeof env).datasets.baseUrl;
    expect(withBase(" https://bucket.example/datasets ")).toBe("https://bucket.example/datasets/");
    expect(withBase("http://127.0.0.1:9000/npm/")).toBe("http://127.0.0.1:9000/npm/");
    for (const value of [
      "cdn.example.com/npm/",
      "/npm/",
      "ftp://mirror.example.com/npm/",
      "https://user:pass@mirror.example.com/npm/",
      "https://mirror.example.com/npm/?token=1",
      "https://mirror.example.com/npm/#x",
    ]) {
      let thrown: unknown;
      try {
        withBase(value);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, value).toBeInstanceOf(AppError);
      expect((thrown as AppError).code).toBe("MISCONFIGURED");
      expect((thrown as AppError).message).toContain("DATASETS_BASE_URL");
    }
    // A base given without its "/" still serves the catalog's paths under it.
    const base = freshSource("no-slash").replace(/\/$/, "");
    const res = await download(await signedIn({ DATASETS_BASE_URL: base }), "penguins");
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(fixture(dataset("penguins")));
    expect(await requestsFor(`${base}/`, dataset("penguins"))).toBe(1);
  });
});

describe("GET /api/datasets", () => {
  it("lists the catalog to anyone, without where the files come from", async () => {
    const res = await new Browser().fetch("/api/datasets");
    expect(res.status).toBe(200);
    const text = await res.text();
    const body = JSON.parse(text) as { version: string; data: Record<string, unknown>[] };
    expect(body.version).toBe(CATALOG_VERSION);
    expect(body.data.map((d) => d.id)).toEqual(DATASETS.map((d) => d.id));
    for (const entry of body.data) expect(Object.keys(entry).sort()).toEqual(PUBLIC_FIELDS);
    const { path: _path, ...penguins } = dataset("penguins");
    expect(body.data[0]).toEqual(penguins);
    for (const d of DATASETS) expect(text).not.toContain(d.path);
    expect(text).not.toContain(upstream);
  });

  it("offers only files within DATASETS_MAX_BYTES, and downloads no other", async () => {
    const base = freshSource("cap");
    const browser = await signedIn({ DATASETS_BASE_URL: base, DATASETS_MAX_BYTES: "20000" });
    const res = await browser.fetch("/api/datasets");
    const { data } = await res.json<{ data: { id: string }[] }>();
    expect(data.map((d) => d.id)).toEqual(
      DATASETS.filter((d) => d.size_bytes <= 20_000).map((d) => d.id),
    );
    expect(data.map((d) => d.id)).not.toContain("seattle-weather");
    const refused = await download(browser, "seattle-weather");
    expect(refused.status).toBe(404);
    expect((await errorOf(refused)).body.error.code).toBe("not_found");
    expect(await requestsFor(base, dataset("seattle-weather"))).toBe(0);
  });
});

describe("GET /api/datasets/:id/download", () => {
  it("streams each file's exact bytes as an attachment with its type and length", async () => {
    const browser = await signedIn({ DATASETS_BASE_URL: freshSource("bytes") });
    for (const entry of CSVS) {
      const res = await download(browser, entry.id);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
      expect(res.headers.get("content-length")).toBe(String(entry.size_bytes));
      expect(res.headers.get("content-disposition")).toBe(
        `attachment; filename="${entry.file_name}"`,
      );
      expect(res.headers.get("cache-control")).toBe("private, no-store");
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(fixture(entry));
    }
  });

  it("takes a compressed answer (as a CDN sends one) and passes on the file itself", async () => {
    const entry = dataset("seattle-weather");
    const browser = await signedIn({ DATASETS_BASE_URL: `${upstream}/_gzip/` });
    const res = await download(browser, entry.id);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-encoding")).toBeNull();
    expect(res.headers.get("content-length")).toBe(String(entry.size_bytes));
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(fixture(entry));
  });

  it("serves the second download from the edge cache without reaching the source", async () => {
    const base = freshSource("cache");
    const entry = dataset("co2-concentration");
    const browser = await signedIn({ DATASETS_BASE_URL: base });
    const first = await download(browser, entry.id);
    expect(new Uint8Array(await first.arrayBuffer())).toEqual(fixture(entry));
    expect(await requestsFor(base, entry)).toBe(1);
    const copy = await storedCopy(base, entry.id);
    expect(new Uint8Array(await copy.arrayBuffer())).toEqual(fixture(entry));

    // Another person, the same file: the copy at the edge.
    const second = await download(await signedIn({ DATASETS_BASE_URL: base }), entry.id);
    expect(second.status).toBe(200);
    expect(second.headers.get("content-length")).toBe(String(entry.size_bytes));
    expect(second.headers.get("content-disposition")).toBe(
      `attachment; filename="${entry.file_name}"`,
    );
    expect(new Uint8Array(await second.arrayBuffer())).toEqual(fixture(entry));
    expect(await requestsFor(base, entry)).toBe(1);
  });

  it("keys the edge copy by catalog version: an older catalog's copy is never served", async () => {
    const base = freshSource("version");
    const entry = dataset("disasters");
    const stale = new Uint8Array(entry.size_bytes).fill(0x78);
    const copy = () =>
      new Response(stale, {
        headers: {
          "content-length": String(entry.size_bytes),
          "cache-control": "public, max-age=3600",
        },
      });
    const key = (version: string) => cacheKey(ORIGIN, base, entry.id, version);
    expect(key("0123456789ab")).not.toBe(key(CATALOG_VERSION));
    const browser = await signedIn({ DATASETS_BASE_URL: base });

    // A copy stored under another catalog version is passed over: the source is asked.
    await caches.default.put(key("0123456789ab"), copy());
    const fresh = await download(browser, entry.id);
    expect(new Uint8Array(await fresh.arrayBuffer())).toEqual(fixture(entry));
    expect(await requestsFor(base, entry)).toBe(1);
    await storedCopy(base, entry.id);

    // And the key the route reads is exactly this one: a copy planted there is what it serves.
    await caches.default.put(key(CATALOG_VERSION), copy());
    const planted = await download(browser, entry.id);
    expect(new Uint8Array(await planted.arrayBuffer())).toEqual(stale);
    expect(await requestsFor(base, entry)).toBe(1);
    await caches.default.delete(key(CATALOG_VERSION));
    await caches.default.delete(key("0123456789ab"));
  });

  it.each([
    "nope",
    "PENGUINS",
    "penguins.csv",
    "penguins%00",
    "__proto__",
    "constructor",
    "..",
    "%2e%2e",
    ".%2e",
    "..%2F..%2Fpackage.json",
    "%2e%2e%2f%2e%2e%2fpackage.json",
    "penguins%2F..%2Fdisasters",
    "vega-datasets@3.2.1%2Fdata%2Fdisasters.csv",
    "%2F%2Fevil.example%2Fx.csv",
    "https%3A%2F%2Fevil.example%2Fx.csv",
    `${encodeURIComponent(`${upstream}/vega-datasets@3.2.1/data/disasters.csv`)}`,
  ])("answers %s with a JSON 404 and fetches nothing", async (id) => {
    const browser = await signedIn();
    const before = await totalRequests();
    const res = await download(browser, id);
    expect(res.status).toBe(404);
    expect((await errorOf(res)).body.error.code).toBe("not_found");
    expect(await totalRequests()).toBe(before);
  });

  it("breaks off a body longer than the catalog's size, and caches nothing of it", async () => {
    const base = `${upstream}/_oversize/`;
    const entry = dataset("penguins");
    const res = await download(await signedIn({ DATASETS_BASE_URL: base }), entry.id);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBe(String(entry.size_bytes));
    await expect(res.arrayBuffer()).rejects.toThrow();
    await settle();
    expect(await caches.default.match(cacheKey(ORIGIN, base, entry.id))).toBeUndefined();
  });

  it("breaks off a body that ends short of the catalog's size, and caches nothing", async () => {
    const base = `${upstream}/_short/`;
    const res = await download(await signedIn({ DATASETS_BASE_URL: base }), "penguins");
    expect(res.status).toBe(200);
    await expect(res.arrayBuffer()).rejects.toThrow();
    await settle();
    expect(await caches.default.match(cacheKey(ORIGIN, base, "penguins"))).toBeUndefined();
  });

  it("refuses a source announcing another length with a 502, before sending anything", async () => {
    const base = `${upstream}/_padded/`;
    const res = await download(await signedIn({ DATASETS_BASE_URL: base }), "penguins");
    expect(res.status).toBe(502);
    const { text, body } = await errorOf(res);
    expect(body.error.code).toBe("dataset_upstream");
    expectNoSourceNamed(text);
  });

  it("answers a source that does not answer with a JSON 504", async () => {
    const browser = await signedIn({
      DATASETS_BASE_URL: `${upstream}/_stall/`,
      DATASETS_TIMEOUT_MS: "300",
    });
    const started = Date.now();
    const res = await download(browser, "penguins");
    expect(res.status).toBe(504);
    expect(Date.now() - started).toBeLessThan(5_000);
    const { text, body } = await errorOf(res);
    expect(body.error).toMatchObject({ code: "dataset_timeout", type: "upstream_error" });
    expectNoSourceNamed(text);
  });

  it("breaks off a body that stalls midway, and caches nothing", async () => {
    const base = `${upstream}/_stall-body/`;
    // Long enough for the answer and its first half to come on a loaded machine.
    const browser = await signedIn({ DATASETS_BASE_URL: base, DATASETS_TIMEOUT_MS: "1500" });
    const res = await download(browser, "penguins");
    expect(res.status).toBe(200);
    await expect(res.arrayBuffer()).rejects.toThrow();
    await settle();
    expect(await caches.default.match(cacheKey(ORIGIN, base, "penguins"))).toBeUndefined();
  });

  it.each(["404", "500"])(
    "answers a source's %s with a JSON 502 naming neither its host nor the file's URL",
    async (status) => {
      const base = `${upstream}/_${status}/`;
      const res = await download(
        await signedIn({ DATASETS_BASE_URL: base }),
        "gapminder-health-income",
      );
      expect(res.status).toBe(502);
      const { text, body } = await errorOf(res);
      expect(body.error).toMatchObject({ code: "dataset_upstream", type: "upstream_error" });
      expectNoSourceNamed(text);
      expect(await requestsFor(base, dataset("gapminder-health-income"))).toBe(1);
    },
  );

  it("answers 502 when the source cannot be reached at all", async () => {
    const browser = await signedIn({ DATASETS_BASE_URL: "http://127.0.0.1:9/npm/" });
    const res = await download(browser, "penguins");
    expect(res.status).toBe(502);
    expectNoSourceNamed((await errorOf(res)).text);
  });

  it("limits each account to 20 downloads a minute, with a 429 and Retry-After", async () => {
    const base = freshSource("limit");
    // The limiter counts per minute of the clock: a run that crossed into the next minute
    // proves nothing, so it is run again (by a new account) in the minute it crossed into.
    const minute = () => Math.floor(Date.now() / 60_000);
    let run: { statuses: number[]; refused: Response } | undefined;
    while (!run) {
      const started = minute();
      const browser = await signedIn({ DATASETS_BASE_URL: base });
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) {
        const res = await download(browser, "gapminder-health-income");
        await res.arrayBuffer();
        statuses.push(res.status);
      }
      const refused = await download(browser, "gapminder-health-income");
      if (minute() === started) run = { statuses, refused };
    }
    expect(run.statuses).toEqual(Array(20).fill(200));
    expect(run.refused.status).toBe(429);
    expect(run.refused.headers.get("retry-after")).toBe("60");
    expect((await errorOf(run.refused)).body.error.code).toBe("rate_limited");
    // Another account is not held back.
    const other = await download(
      await signedIn({ DATASETS_BASE_URL: base }),
      "gapminder-health-income",
    );
    expect(other.status).toBe(200);
    await other.arrayBuffer();
  });

  it("lets downloads through when the limiter fails", async () => {
    const base = freshSource("limiter-down");
    const failing: RateLimit = { limit: () => Promise.reject(new Error("limiter unavailable")) };
    const browser = new Browser(async (request) => {
      const ctx = createExecutionContext();
      const res = await worker.fetch(
        request,
        { ...env, DATASETS_BASE_URL: base, DATASET_DOWNLOADS: failing },
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return res;
    });
    await browser.signInAnonymously();
    const res = await download(browser, "penguins");
    expect(res.status).toBe(200);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(fixture(dataset("penguins")));
  });

  it("answers 401 when not signed in, and fetches nothing", async () => {
    const before = await totalRequests();
    const res = await download(new Browser(), "penguins");
    expect(res.status).toBe(401);
    expect((await errorOf(res)).body.error.code).toBe("unauthorized");
    expect(await totalRequests()).toBe(before);
  });

  it("does not care about a foreign Origin: it is a read", async () => {
    const browser = await signedIn({ DATASETS_BASE_URL: freshSource("origin") });
    const res = await download(browser, "penguins", {
      headers: { origin: "https://evil.example", "sec-fetch-site": "cross-site" },
    });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  });

  it("is documented with its error answers", async () => {
    const doc = await (await new Browser().fetch("/api/openapi.json")).json<{
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    }>();
    const responses = doc.paths["/api/datasets/{id}/download"]?.get?.responses ?? {};
    expect(Object.keys(responses).sort()).toEqual(
      ["200", "401", "404", "429", "502", "503", "504"].sort(),
    );
    expect(doc.paths["/api/datasets"]?.get?.responses).toHaveProperty("200");
  });
});
