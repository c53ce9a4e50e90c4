// Builds the client for `npm run dev` without pulling files from under a server that is already
// serving client/dist: the build goes to a staging folder, and only files that changed are moved
// in, each by an atomic rename (a rebuild of unchanged sources touches nothing).
import { randomUUID } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { dirname, join, relative } from "node:path";
import { build } from "vite";
import { ROOT } from "./local-config.mjs";

const DIST = join(ROOT, "client/dist");

function listFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true })
    .map((name) => join(dir, String(name)))
    .filter((path) => statSync(path).isFile())
    .map((path) => relative(dir, path));
}

function same(a, b) {
  if (!existsSync(b) || statSync(a).size !== statSync(b).size) return false;
  return readFileSync(a).equals(readFileSync(b));
}

export async function buildClient() {
  const staging = join(ROOT, ".wrangler", `client-${randomUUID()}`);
  try {
    await build({
      configFile: join(ROOT, "client/vite.config.ts"),
      logLevel: "warn",
      build: { outDir: staging, emptyOutDir: true },
    });
    const built = listFiles(staging);
    for (const file of built) {
      const target = join(DIST, file);
      if (same(join(staging, file), target)) continue;
      mkdirSync(dirname(target), { recursive: true });
      renameSync(join(staging, file), target);
    }
    const keep = new Set(built);
    for (const file of listFiles(DIST)) if (!keep.has(file)) rmSync(join(DIST, file));
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
