// The Worker's start for `npm run bench`, measured as `wrangler check startup` measures it: the
// upload `wrangler deploy` would send (its size raw and gzipped, as wrangler counts them), and a
// CPU profile of evaluating the Worker's global scope in a fresh workerd (wrangler's own
// command, run on that upload: its wrapper imports the main module inside a request, with the
// profiler on). Startup CPU is the profile's active time (sampled, less idle), garbage
// collection included. Also what the bundle holds, largest packages first, from esbuild's
// metafile.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { ROOT } from "./local-config.mjs";
import { median } from "./stream-timing.mjs";

const run = promisify(execFile);
const WRANGLER = join(ROOT, "node_modules/.bin/wrangler");
const ENV = { ...process.env, WRANGLER_SEND_METRICS: "false" };

/** wrangler's own summary of a startup profile (summarizeStartupProfile): active time, ms. */
function activeMs(profile) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  let active = 0;
  for (const [index, delta] of (profile.timeDeltas ?? []).entries()) {
    if (nodes.get(profile.samples[index])?.callFrame.functionName !== "(idle)") active += delta;
  }
  return active / 1000;
}

/** The upload's modules (a multipart form), without source maps: wrangler's getBundleSize. */
async function uploadSize(path) {
  const bytes = readFileSync(path);
  const boundary = bytes.subarray(2, bytes.indexOf(10)).toString().trim();
  const form = await new Response(bytes, {
    headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
  }).formData();
  const modules = [];
  for (const entry of form.values()) {
    if (entry instanceof Blob && entry.type !== "application/source-map") modules.push(entry);
  }
  const all = Buffer.from(await new Blob(modules).arrayBuffer());
  return { raw: all.length, gzip: gzipSync(all).length };
}

const packageOf = (input) => input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1] ?? "src";

/** The inputs the entry reaches through static imports: evaluated when the Worker starts. */
function evaluatedAtStart(meta, entry) {
  const reached = new Set([entry]);
  const queue = [entry];
  while (queue.length) {
    for (const { path, kind } of meta.inputs[queue.pop()]?.imports ?? []) {
      if (kind === "dynamic-import" || reached.has(path) || !meta.inputs[path]) continue;
      reached.add(path);
      queue.push(path);
    }
  }
  return reached;
}

/**
 * Bytes in the bundle per package (node_modules/<name>; the app's own code as "src"), largest
 * first, and whether any of it is evaluated at start (or only when first imported).
 */
function largestPackages(metafile, count) {
  const meta = JSON.parse(readFileSync(metafile, "utf8"));
  const sizes = new Map();
  const atStart = new Set();
  for (const output of Object.values(meta.outputs)) {
    if (!output.entryPoint) continue;
    for (const input of evaluatedAtStart(meta, output.entryPoint)) atStart.add(packageOf(input));
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs ?? {})) {
      const name = packageOf(input);
      sizes.set(name, (sizes.get(name) ?? 0) + bytesInOutput);
    }
  }
  return [...sizes]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, bytes]) => ({ name, bytes, onFirstUse: !atStart.has(name) }));
}

/**
 * Builds the upload of the checkout at `root` (its client build must exist: wrangler reads the
 * assets directory), then profiles the start `runs` times, each in a new workerd.
 */
export async function measureStartup({ runs = 7, root = ROOT } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "gradual-startup-"));
  try {
    const bundle = join(dir, "worker.bundle");
    const metafile = join(dir, "meta.json");
    await run(WRANGLER, ["deploy", "--dry-run", "--outfile", bundle, "--metafile", metafile], {
      cwd: root,
      env: ENV,
      maxBuffer: 16 * 1024 * 1024,
    });
    const size = await uploadSize(bundle);
    const cpu = [];
    for (let i = 0; i < runs; i++) {
      const profile = join(dir, `startup-${i}.cpuprofile`);
      await run(WRANGLER, ["check", "startup", "--worker", bundle, "--outfile", profile], {
        cwd: ROOT,
        env: ENV,
        maxBuffer: 16 * 1024 * 1024,
      });
      cpu.push(activeMs(JSON.parse(readFileSync(profile, "utf8"))));
    }
    return { ...size, largest: largestPackages(metafile, 8), cpu };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const KIB = 1024;
const mib = (bytes) => `${(bytes / KIB / KIB).toFixed(2)} MiB`;

/** `label` names a Worker other than the app (the baseline). */
export function printStartup({ raw, gzip, largest, cpu }, label = "") {
  const sorted = [...cpu].sort((a, b) => a - b);
  console.log(
    `\nWorker startup${label} (global scope, as \`wrangler check startup\` profiles it; ${cpu.length} runs, each a new workerd): ` +
      `CPU ${median(cpu).toFixed(1)} ms median (${sorted[0].toFixed(1)}–${sorted.at(-1).toFixed(1)}); target ≤ 50 ms: ${median(cpu) <= 50 ? "met" : "MISSED"}`,
  );
  console.log(`Upload: ${mib(raw)} raw, ${mib(gzip)} gzipped (as wrangler counts it)`);
  console.log(
    `Largest in the bundle (* loaded on first use, not at start): ${largest
      .map(
        ({ name, bytes, onFirstUse }) =>
          `${name}${onFirstUse ? "*" : ""} ${(bytes / KIB).toFixed(0)} KiB`,
      )
      .join(", ")}`,
  );
}
