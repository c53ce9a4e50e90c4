// The bench's baseline (BENCH_BASELINE=<git rev>): the Worker as it was at another commit, run
// beside the app on the same streams, so that "no warm figure got worse" is one run's claim,
// not a comparison across runs on a machine whose load drifts. The commit's files are exported
// into a temporary folder (git archive: the repository and its working tree are left alone)
// with this checkout's node_modules and client build linked in, and its Worker is bundled
// there by wrangler as the app's is here.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./local-config.mjs";

/** Exports `rev` into a temporary folder; returns its root, commit, a label and a remove(). */
export function checkOutBaseline(rev) {
  const git = (...args) => execFileSync("git", args, { cwd: ROOT, encoding: "utf8" }).trim();
  const commit = git("rev-parse", "--verify", `${rev}^{commit}`);
  const root = mkdtempSync(join(tmpdir(), "gradual-baseline-"));
  try {
    execFileSync("sh", ["-c", `git archive --format=tar ${commit} | tar -x -C "${root}"`], {
      cwd: ROOT,
      stdio: ["ignore", "ignore", "pipe"],
    });
    // wrangler bundles against these; the baseline's dependencies are this checkout's (a
    // baseline whose lockfile differs is measured with today's packages).
    symlinkSync(join(ROOT, "node_modules"), join(root, "node_modules"));
    // wrangler reads the assets directory when it bundles; the bench never serves the page.
    symlinkSync(join(ROOT, "client/dist"), join(root, "client/dist"));
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  return {
    root,
    commit,
    label: `${rev} (${commit.slice(0, 10)})`,
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
